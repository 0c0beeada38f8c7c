"""Each webhook event is written where its change happens, in the same transaction, at most
once per change, and handed to the webhooks lane only when that transaction commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from botocore.exceptions import ClientError
from rq import Queue
from sqlalchemy import select

from jobs import failures
from jobs.failures import record_failure
from jobs.notify import send_export_mail
from jobs.sweep import run_sweep
from portal import queues
from portal.exports import attempts, events, mail_outbox, service
from portal.exports.attempts import Attempt, StoredPart
from portal.exports.errors import ExportRequestError
from portal.extensions import db
from portal.mailer import MailKind
from portal.models import Export, ExportStatus, WebhookDelivery, utcnow
from tests import factories


def deliveries(event: str | None = None) -> list[WebhookDelivery]:
    db.session.expire_all()
    query = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if event:
        query = query.where(WebhookDelivery.event == event)
    return list(db.session.scalars(query))


def queued(app) -> list[str]:
    lane = Queue(queues.WEBHOOKS, connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    return [job.args[0] for job in lane.jobs]


def export_in(world, state: ExportStatus, **columns) -> Export:
    return factories.export_in(state, world.member_a, world.project_a, 2, **columns)


def test_a_completion_writes_one_delivery_with_what_an_integrator_needs(app, world, endpoint):
    export = export_in(world, ExportStatus.PROCESSING)
    parts = [
        StoredPart(1, "exports/k1.zip", 1200, "a" * 64, 1),
        StoredPart(2, "k2", 800, "b" * 64, 1),
    ]
    assert attempts.complete(Attempt(export.id, 1), parts, warnings=0)
    assert attempts.complete(Attempt(export.id, 1), parts, warnings=0) is False  # fenced off
    [delivery] = deliveries()
    assert (delivery.event, delivery.endpoint_id, delivery.export_attempt) == (
        "export.completed",
        endpoint.id,
        1,
    )
    data, api = delivery.payload["data"], f"http://sitepack.test/api/v1/exports/{export.public_id}"
    assert (delivery.payload["type"], delivery.payload["version"]) == ("export.completed", 2)
    assert data["id"] == export.public_id and data["state"] == "completed"
    assert data["expires_at"].endswith("Z") and data["byte_size"] == 2000
    assert [(p["number"], p["byte_size"], p["sha256"]) for p in data["parts"]] == [
        (1, 1200, "a" * 64),
        (2, 800, "b" * 64),
    ]
    assert data["parts"][1]["download"] == f"{api}/download?part=2"
    assert data["links"] == {
        "self": api,
        "page": f"http://sitepack.test/exports/{export.public_id}",
        "download": f"{api}/download",
    }
    assert queued(app) == [delivery.id]


def test_a_change_that_is_rolled_back_announces_nothing(app, world, endpoint):
    export = export_in(world, ExportStatus.COMPLETED)
    events.add(export.id, ExportStatus.REVOKED, "about to be undone", state=ExportStatus.REVOKED)
    assert len(deliveries()) == 1  # written inside the transaction
    db.session.rollback()
    db.session.commit()  # a later commit of the same session hands nothing over
    assert deliveries() == []
    assert queued(app) == []


def test_an_admin_revoke_announces_export_revoked_once(app, world, endpoint):
    export = export_in(world, ExportStatus.COMPLETED)
    service.revoke(export, world.admin_a, "sent to the wrong client")
    with pytest.raises(ExportRequestError):
        service.revoke(export, world.admin_a)
    [delivery] = deliveries()
    assert delivery.event == "export.revoked"
    data = delivery.payload["data"]
    assert (data["state"], data["revoke_reason"]) == ("revoked", "sent to the wrong client")
    assert data["links"]["download"] is None and data["parts"][0]["download"] is None
    assert data["parts"][0]["sha256"] == export.parts[0].sha256


def test_the_pipelines_failure_announces_export_failed_with_the_reason(app, world, endpoint):
    export = export_in(world, ExportStatus.PROCESSING)
    error = ClientError({"Error": {"Code": "NoSuchBucket"}}, "UploadPart")
    record_failure(Attempt(export.id, 1), error)  # outside RQ: no retry left
    [delivery] = deliveries()
    assert delivery.event == "export.failed"
    assert delivery.payload["data"]["error"] == failures.NO_BUCKET.reason
    assert delivery.payload["data"]["state"] == "failed"


def test_a_retried_export_that_fails_again_announces_each_failure(app, world, endpoint):
    export = export_in(world, ExportStatus.PROCESSING)
    attempts.fail(Attempt(export.id, 1), "first")
    service.retry(db.session.get(Export, export.id), world.member_a)
    assert attempts.claim(export.id) == Attempt(export.id, 2)
    attempts.fail(Attempt(export.id, 2), "second")
    assert [d.payload["data"]["error"] for d in deliveries("export.failed")] == ["first", "second"]


def test_the_sweepers_expiry_announces_export_expired_once(app, world, endpoint, bucket):
    export_in(world, ExportStatus.COMPLETED, expires_at=utcnow() - timedelta(minutes=1))
    assert run_sweep()["zips_expired"] == 1
    assert run_sweep()["zips_expired"] == 0
    [delivery] = deliveries()
    assert (delivery.event, delivery.payload["data"]["state"]) == ("export.expired", "expired")


def test_the_expiry_warning_announces_export_expiring_once_even_if_the_mail_is_retried(
    app, world, endpoint
):
    export = export_in(
        world,
        ExportStatus.COMPLETED,
        finished_at=utcnow() - timedelta(days=6, hours=12),
        expires_at=utcnow() + timedelta(hours=12),
    )
    assert send_export_mail(export.id, MailKind.EXPIRING).startswith("expiring mail sent")
    mail_outbox.release_mail(export.id, MailKind.EXPIRING)  # as if sending had failed
    assert mail_outbox.claim_mail(export.id, MailKind.EXPIRING)
    [delivery] = deliveries()
    assert delivery.event == "export.expiring"


def test_only_subscribed_enabled_endpoints_of_the_exports_organisation_hear_of_it(app, world):
    admin_b = factories.user(world.org_b, "admin@bravo.test", role="admin")
    factories.webhook_endpoint(admin_b, "https://bravo.example/hooks")
    factories.webhook_endpoint(world.admin_a, "https://a.example/failed", ["export.failed"])
    off = factories.webhook_endpoint(world.admin_a, "https://a.example/off")
    off.disabled_at = utcnow()
    listening = factories.webhook_endpoint(world.admin_a, "https://a.example/all")
    export = export_in(world, ExportStatus.COMPLETED)
    service.revoke(export, world.admin_a)
    assert [d.endpoint_id for d in deliveries()] == [listening.id]


def test_changes_webhooks_do_not_announce_write_no_delivery(app, world, endpoint):
    export = export_in(world, ExportStatus.PENDING)
    assert attempts.claim(export.id)
    service.cancel(db.session.get(Export, export.id), world.member_a)
    assert deliveries() == []
