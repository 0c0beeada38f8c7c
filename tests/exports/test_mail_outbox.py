"""The emails a state owes wait on the row until a mail job takes them: none lost, none twice.

The worker hands an owed email to the mail queue at once; when it could not (Redis down, or
killed between complete() and the enqueue), the recovery pass does.
"""

from __future__ import annotations

import redis
from rq import Queue

from jobs.notify import send_export_mail
from jobs.sweep import run_recovery
from portal import queues
from portal.exports import attempts, endings, service
from portal.exports.attempts import StoredPart
from portal.extensions import db, mail
from portal.mailer import MailKind
from portal.models import ExportStatus
from tests import factories
from tests.helpers import reload


def completed_without_its_email(world):
    """What a worker killed right after complete() leaves: the ready email owed, no job."""
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=2)
    stored = StoredPart(1, "exports/k.zip", 1, "a" * 64, 2)
    assert attempts.complete(attempts.claim(export.id), [stored], 0)
    return export


def mail_jobs(app) -> list[tuple]:
    lane = Queue(queues.MAIL, connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    return [tuple(job.args) for job in lane.jobs]


def test_an_email_owed_but_never_enqueued_is_enqueued_by_the_recovery_pass_once(app, world):
    export = completed_without_its_email(world)
    assert reload(export.id).mail_due == MailKind.READY
    assert run_recovery()["owed_mail_queued"] == 1
    assert mail_jobs(app) == [(export.id, MailKind.READY)]
    assert run_recovery()["owed_mail_queued"] == 0  # handed over: not again within the lease


def test_an_owed_email_is_sent_once_however_many_jobs_carry_it(app, world):
    export = completed_without_its_email(world)
    with mail.record_messages() as sent:
        send_export_mail(export.id, MailKind.READY)
        assert send_export_mail(export.id, MailKind.READY).endswith("no longer owed")
    assert len(sent) == 1
    assert reload(export.id).mail_due is None and reload(export.id).ready_mail_sent_at


def test_a_failure_email_is_not_sent_once_the_export_was_retried(app, world):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=2)
    assert attempts.fail(attempts.claim(export.id), "Sitepack's file storage could not be reached.")
    db.session.execute(db.update(type(export)).values(status=ExportStatus.PENDING))
    db.session.commit()
    assert run_recovery()["owed_mail_queued"] == 0
    with mail.record_messages() as sent:
        assert send_export_mail(export.id, MailKind.FAILURE).endswith("no longer owed")
    assert sent == []


def test_a_retried_export_whose_zip_went_missing_sends_a_ready_email_for_its_new_zip(app, world):
    """Ready once (email sent), then its zip was found missing: failed. After Retry, the
    rebuilt zip is news again: its ready email is owed and sent, once."""
    export = completed_without_its_email(world)
    with mail.record_messages() as sent:
        send_export_mail(export.id, MailKind.READY)
        assert endings.fail_missing_parts(reload(export.id), [1])
        service.retry(reload(export.id), world.member_a)
        rebuilt = StoredPart(1, "exports/k2.zip", 1, "b" * 64, 2)
        assert attempts.complete(attempts.claim(export.id), [rebuilt], 0)
        assert reload(export.id).mail_due == MailKind.READY
        send_export_mail(export.id, MailKind.READY)
        assert send_export_mail(export.id, MailKind.READY).endswith("no longer owed")
    assert [m.subject for m in sent] == ["“Harbour View Tower” is ready"] * 2
    assert reload(export.id).mail_due is None


def test_no_expiry_warning_is_sent_for_an_export_that_was_revoked(app, world):
    export = completed_without_its_email(world)
    service.revoke(reload(export.id), world.admin_a, "Wrong client")
    with mail.record_messages() as sent:
        send_export_mail(export.id, MailKind.EXPIRING)
    assert sent == []
    assert reload(export.id).expiring_mail_sent_at is None


def test_a_failure_email_queued_under_its_old_name_is_still_sent(app, world):
    """Mail jobs queued before the failure email was named `failure` carry "failed"."""
    assert MailKind(ExportStatus.FAILED.value) == MailKind.FAILURE
