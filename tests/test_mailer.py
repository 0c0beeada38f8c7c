"""The export emails as the SMTP server receives them from a real mail job: who a reply
reaches, and that no email asks for a reply that nobody would read."""

from __future__ import annotations

from email.utils import parseaddr

from portal import queues
from portal.mailer import SUBJECTS, MailKind
from portal.models import ExportStatus
from tests import factories
from tests.servers import text_body, wait_for_mail

SUPPORT = "Sitepack support <support@sitepack.test>"


def html_body(message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def mail_of_each_kind(world, mail_sink, worker, **env) -> dict[MailKind, object]:
    """A worker with `env` sends one mail of each kind about 500 records (the ready and the
    failure email owed on their rows, as a finished attempt leaves them); each by its kind."""
    ready, failed = (
        factories.export_in(state, world.member_a, world.project_a, mail_due=owed)
        for state, owed in (
            (ExportStatus.COMPLETED, MailKind.READY),
            (ExportStatus.FAILED, MailKind.FAILURE),
        )
    )
    queues.enqueue_mail(ready.id, MailKind.READY)
    queues.enqueue_mail(failed.id, MailKind.FAILURE)
    queues.enqueue_mail(ready.id, MailKind.EXPIRING)
    with worker(**env):
        messages = wait_for_mail(mail_sink, 3)
    kinds = {SUBJECTS[kind].format(title="Harbour View Tower"): kind for kind in MailKind}
    return {kinds[message["Subject"]]: message for message in messages}


def test_with_a_support_address_every_export_email_is_answered_there(app, world, mail_sink, worker):
    mails = mail_of_each_kind(world, mail_sink, worker, SUPPORT_EMAIL=SUPPORT)
    assert set(mails) == set(MailKind)
    replies = {kind: parseaddr(mail["Reply-To"] or "")[1] for kind, mail in mails.items()}
    assert replies == dict.fromkeys(mails, "support@sitepack.test")
    for body in (text_body(mails[MailKind.FAILURE]), html_body(mails[MailKind.FAILURE])):
        assert "reply to this email" in body


def test_without_a_support_address_no_email_asks_for_a_reply(app, world, mail_sink, worker):
    mails = mail_of_each_kind(world, mail_sink, worker)
    assert set(mails) == set(MailKind)
    assert [mail["Reply-To"] for mail in mails.values()] == [None, None, None]
    for mail in mails.values():
        for body in (text_body(mail), html_body(mail)):
            assert "reply" not in body.lower()
    assert "tell your organisation's Sitepack admin" in text_body(mails[MailKind.FAILURE])
    assert "tell your organisation's Sitepack admin" in html_body(mails[MailKind.FAILURE])


def test_the_ready_email_of_a_three_zip_export_links_each_part_through_the_portal(
    app, world, mail_sink, worker
):
    export = factories.export_in(
        ExportStatus.COMPLETED, world.member_a, world.project_a, parts=3, mail_due=MailKind.READY
    )
    queues.enqueue_mail(export.id, MailKind.READY)
    with worker():
        [mail] = wait_for_mail(mail_sink, 1)
    download = f"http://sitepack.test/exports/{export.public_id}/download"
    text, html = text_body(mail), html_body(mail)
    assert "ready: 3 zips of PDFs, 14.3 MB in all." in text
    for number in (1, 2, 3):
        assert f"Part {number} of 3 — 4.8 MB: {download}?part={number}\r\n" in text
        assert f'href="{download}?part={number}"' in html
    for body in (text, html):
        assert app.config["S3_ENDPOINT_URL"] not in body and "X-Amz" not in body
