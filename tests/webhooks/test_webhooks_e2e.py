"""Webhooks end to end on the real servers: an export requested in the portal is built by a
real worker (rclone's S3, the SMTP sink), and a receiver on 127.0.0.1 hears of it, signed, in
the shape the OpenAPI document's `webhooks` describe."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from portal.extensions import db
from portal.models import Export, ExportStatus, WebhookDelivery
from tests import factories
from tests.exports.test_pipeline_e2e import wait_for_state
from tests.factories import login
from tests.helpers import confirm_and_post, reload, request_export
from tests.polling import wait_until
from tests.servers import wait_for_mail
from tests.webhooks.openapi import assert_valid_webhook


def test_an_export_from_the_portal_is_announced_signed_with_its_parts_and_links(
    app, client, world, project_records, worker, mail_sink, receiver, endpoint
):
    records = project_records(3, photo_every=2)
    login(client, "member@acme.test")
    assert request_export(client, world.project_a, records).status_code == 303
    export = Export.query.one()
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"))
        wait_until(lambda: receiver.requests, timeout=30)
        wait_for_mail(mail_sink, 1)
    assert export.status == "completed", export.error

    [request] = receiver.requests
    event = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert assert_valid_webhook(client, request.body) == event
    assert (event["type"], event["version"]) == ("export.completed", 2)
    data = event["data"]
    assert (data["id"], data["state"], data["total"]) == (export.public_id, "completed", 3)
    assert datetime.fromisoformat(data["expires_at"]).replace(tzinfo=None) == export.expires_at
    assert [(p["byte_size"], p["sha256"]) for p in data["parts"]] == [
        (part.byte_size, part.sha256) for part in export.parts
    ]
    assert data["links"]["self"] == f"http://sitepack.test/api/v1/exports/{export.public_id}"
    key = factories.bearer(factories.api_key(world.member_a, "read"))
    download = client.get(urlsplit(data["links"]["download"]).path, headers=key)
    assert download.status_code == 302  # the API's link, checked, then to S3
    delivery = db.session.scalars(db.select(WebhookDelivery)).one()
    assert delivery.delivered_at and [a.status_code for a in delivery.tries] == [200]


def test_a_failing_receiver_is_retried_by_the_worker_until_it_answers(
    app, client, world, worker, receiver, endpoint
):
    """A revoke in the admin pages; the receiver answers 500, then 200 to RQ's scheduled retry."""
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
    receiver.status = 500
    login(client, "admin@acme.test")
    assert confirm_and_post(client, export, "revoke").status_code == 303
    assert reload(export).status == "revoked"
    with worker(WEBHOOK_RETRY_INTERVALS="1,1"):
        wait_until(lambda: receiver.requests, timeout=30)
        receiver.status = 200
        delivered = wait_until(lambda: delivery_of(export).delivered_at, timeout=30)
    assert delivered
    assert [a.status_code for a in delivery_of(export).tries] == [500, 200]
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert {b["type"] for b in bodies} == {"export.revoked"}
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # same message


def delivery_of(export: Export) -> WebhookDelivery:
    db.session.expire_all()
    return db.session.scalars(
        db.select(WebhookDelivery).where(WebhookDelivery.export_id == export.id)
    ).one()
