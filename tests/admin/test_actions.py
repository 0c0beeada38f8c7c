"""Admin actions: confirmed POSTs that go through the exports service and leave an audit trail."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue

from portal import queues
from portal.models import Export, ExportEvent, utcnow
from portal.storage import client as s3
from tests.factories import login
from tests.helpers import confirm_and_post, csrf, reload
from tests.polling import wait_until
from tests.servers import text_body, wait_for_mail


def ready_export(make_export, key: str = "exports/1/ready/attempt-1/a.zip") -> Export:
    s3.ensure_bucket()
    s3.put_bytes(key, b"PK zip bytes", "application/zip")
    return make_export(
        status="completed",
        parts=[key],
        byte_size=12,
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=3),
    )


def events_of(export: Export, kind: str) -> list[ExportEvent]:
    return ExportEvent.query.filter_by(export_id=export.id, kind=kind).all()


def test_revoke_deletes_the_zip_and_the_download_route_answers_revoked(app, world, make_export):
    export = ready_export(make_export)
    admin, requester = app.test_client(), app.test_client()
    login(admin, "admin@acme.test")
    login(requester, "member@acme.test")
    assert requester.get(f"/exports/{export.public_id}/download").status_code == 302

    response = confirm_and_post(admin, export, "revoke")

    assert response.status_code == 303
    assert reload(export).status == "revoked"
    assert not s3.exists(export.object_keys[0])
    download = requester.get(f"/exports/{export.public_id}/download")
    assert download.status_code == 410
    assert "withdrew" in download.get_data(as_text=True)
    [event] = events_of(export, "revoked")
    assert event.actor_id == world.admin_a.id


def test_action_without_confirmation_changes_nothing(client, world, make_export):
    export = ready_export(make_export)
    login(client, "admin@acme.test")
    assert client.get(f"/admin/exports/{export.public_id}/confirm/revoke").status_code == 200
    response = client.post(
        f"/admin/exports/{export.public_id}/revoke", data={"csrf_token": csrf(client)}
    )
    assert response.status_code == 400
    assert reload(export).status == "completed"
    assert s3.exists(export.object_keys[0])


def test_action_without_csrf_token_is_refused(client, world, make_export):
    export = ready_export(make_export)
    login(client, "admin@acme.test")
    response = client.post(f"/admin/exports/{export.public_id}/revoke", data={"confirmed": "yes"})
    assert response.status_code == 400
    assert reload(export).status == "completed"


def test_action_that_does_not_fit_the_state_answers_409(client, world, make_export):
    export = make_export(status="pending")
    login(client, "admin@acme.test")
    assert client.get(f"/admin/exports/{export.public_id}/confirm/revoke").status_code == 409
    response = client.post(
        f"/admin/exports/{export.public_id}/revoke",
        data={"csrf_token": csrf(client), "confirmed": "yes"},
    )
    assert response.status_code == 409
    assert client.get(f"/admin/exports/{export.public_id}/confirm/explode").status_code == 409
    assert reload(export).status == "pending"


def test_retry_of_a_failed_export_queues_it_again_with_the_admin_as_actor(
    app, client, world, make_export
):
    export = make_export(status="failed", error="S3 was down")
    login(client, "admin@acme.test")
    assert confirm_and_post(client, export, "retry").status_code == 303
    assert reload(export).status == "pending"
    lane = Queue(export.queue_name, connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    assert lane.job_ids == [queues.job_id(export)]
    assert events_of(export, "retried")[0].actor_id == world.admin_a.id


def test_cancel_of_a_live_export_is_recorded_with_the_admin(client, world, make_export):
    export = make_export(status="processing")
    login(client, "admin@acme.test")
    assert confirm_and_post(client, export, "cancel").status_code == 303
    assert reload(export).status == "cancelled"
    assert events_of(export, "cancelled")[0].actor_id == world.admin_a.id


def test_detail_page_merges_events_and_downloads_in_time_order(app, world, make_export):
    export = ready_export(make_export)
    requester, admin = app.test_client(), app.test_client()
    login(requester, "member@acme.test")
    requester.get(f"/exports/{export.public_id}/download")
    login(admin, "admin@acme.test")
    confirm_and_post(admin, export, "revoke")
    page = admin.get(f"/admin/exports/{export.public_id}").get_data(as_text=True)
    timeline = page[page.index('class="timeline"') :]
    order = [timeline.index(word) for word in ("Requested", "Downloaded", "Revoked")]
    assert order == sorted(order)
    assert "from 127.0.0.1" in timeline and "by Admin &lt;admin@acme.test&gt;" in timeline
    assert "not in Redis" in page
    assert "INS-" in page


def test_reorder_on_behalf_of_the_requester_emails_the_requester(
    app, client, world, make_export, worker, mail_sink
):
    s3.ensure_bucket()
    expired = make_export(status="expired", finished_at=utcnow() - timedelta(days=8))
    login(client, "admin@acme.test")

    response = confirm_and_post(client, expired, "reorder")

    assert response.status_code == 303
    new = Export.query.filter_by(reordered_from_id=expired.id).one()
    assert new.requested_by_id == world.member_a.id
    assert events_of(new, "admin_reorder")[0].actor_id == world.admin_a.id
    assert response.headers["Location"].endswith(f"/admin/exports/{new.public_id}")
    with worker():
        wait_until(lambda: reload(new).status in ("completed", "failed"), timeout=120)
        [mail] = wait_for_mail(mail_sink, 1)
    assert reload(new).status == "completed", reload(new).error
    assert mail["X-Envelope-To"] == "member@acme.test"
    assert f"/exports/{new.public_id}/download" in text_body(mail)


def test_get_of_an_action_url_only_leads_to_its_confirmation(client, world, make_export):
    export = ready_export(make_export)
    login(client, "admin@acme.test")
    response = client.get(f"/admin/exports/{export.public_id}/revoke")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/admin/exports/{export.public_id}/confirm/revoke"
    )
    assert reload(export).status == "completed"
