"""Defects the state machine's one home fixed, each seen through the pages a person uses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.formatting import relative
from portal.models import Export, ExportStatus, utcnow
from tests import factories
from tests.factories import login
from tests.helpers import csrf


def export_with_records(world, status: str, **columns) -> Export:
    state = ExportStatus(status)
    return factories.export_in(state, world.member_a, world.project_a, records=2, **columns)


def exports() -> int:
    return db.session.scalar(select(func.count()).select_from(Export))


def test_a_failed_export_is_retried_not_reordered_by_a_direct_post(client, world):
    failed = export_with_records(world, status="failed", error="Storage could not be reached.")
    login(client, "member@acme.test")
    page = client.get(f"/exports/{failed.public_id}").get_data(as_text=True)
    assert f"/exports/{failed.public_id}/retry" in page
    assert f"/exports/{failed.public_id}/reorder" not in page
    answer = client.post(f"/exports/{failed.public_id}/reorder", data={"csrf_token": csrf(client)})
    assert answer.status_code == 409
    assert "retried as itself" in answer.get_data(as_text=True)
    assert exports() == 1


def test_a_member_cannot_reorder_what_an_admin_revoked_and_sees_why(app, client, world):
    revoked = export_with_records(world, status="completed")
    admin = app.test_client()
    login(admin, "admin@acme.test")
    withdrawn = admin.post(
        f"/admin/exports/{revoked.public_id}/revoke",
        data={"csrf_token": csrf(admin), "confirmed": "yes", "reason": "Sent to the wrong client"},
    )
    assert withdrawn.status_code == 303
    login(client, "member@acme.test")
    page = client.get(f"/exports/{revoked.public_id}").get_data(as_text=True)
    assert "Reason: Sent to the wrong client" in page
    assert f"/exports/{revoked.public_id}/reorder" not in page
    refused = client.post(
        f"/exports/{revoked.public_id}/reorder", data={"csrf_token": csrf(client)}
    )
    assert refused.status_code == 403
    assert "Sent to the wrong client" in refused.get_data(as_text=True)
    assert exports() == 1
    again = admin.post(f"/exports/{revoked.public_id}/reorder", data={"csrf_token": csrf(admin)})
    assert again.status_code == 303 and exports() == 2


def test_an_expired_export_that_was_reordered_links_to_its_reorder(client, world):
    now = utcnow()
    expired = export_with_records(
        world, status="expired", finished_at=now - timedelta(days=8), expires_at=now
    )
    login(client, "member@acme.test")
    first = client.post(f"/exports/{expired.public_id}/reorder", data={"csrf_token": csrf(client)})
    newer = db.session.scalar(select(Export).where(Export.reordered_from_id == expired.id))
    assert first.headers["Location"].endswith(f"/exports/{newer.public_id}")
    page = client.get(f"/exports/{expired.public_id}").get_data(as_text=True)
    assert f'href="/exports/{newer.public_id}"' in page
    assert f"/exports/{expired.public_id}/reorder" not in page
    second = client.post(f"/exports/{expired.public_id}/reorder", data={"csrf_token": csrf(client)})
    assert second.headers["Location"].endswith(f"/exports/{newer.public_id}")
    assert exports() == 2


def test_a_live_export_asks_before_it_cancels(client, world):
    live = export_with_records(world, status="processing", started_at=utcnow())
    login(client, "member@acme.test")
    page = client.get(f"/exports/{live.public_id}").get_data(as_text=True)
    disclosure = page[page.index('<details class="confirm"') : page.index("</details>")]
    assert "Cancel export…" in disclosure and "Yes, cancel the export" in disclosure
    assert f'action="/exports/{live.public_id}/cancel"' in disclosure


def test_the_first_eta_comes_from_the_lanes_recent_rate(client, world):
    """A 20-record export one record in: the pool's start-up made the first record take 5 s,
    but the lane has been doing 2 records a second, so about 10 s are left, not 95."""
    now = utcnow()
    export_with_records(
        world,
        status="completed",
        total=20,
        started_at=now - timedelta(minutes=5, seconds=10),
        finished_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(days=7),
    )
    running = export_with_records(
        world, status="processing", total=20, done=1, started_at=now - timedelta(seconds=5)
    )
    login(client, "member@acme.test")
    fragment = client.get(f"/exports/{running.public_id}/status").get_data(as_text=True)
    assert "less than a minute left" in fragment


def test_expiry_is_rounded_to_the_nearest_unit():
    assert relative(utcnow() + timedelta(days=7) - timedelta(minutes=1)) == "in 7 days"
    assert relative(utcnow() + timedelta(hours=5, minutes=40)) == "in 6 hours"
    assert relative(utcnow() - timedelta(minutes=2, seconds=50)) == "3 minutes ago"


def test_admin_detail_of_a_revoked_export_shows_no_expiry_or_live_size(client, world):
    revoked = export_with_records(
        world,
        status="revoked",
        byte_size=5_000_000,
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=6),
        revoke_reason="Wrong project",
    )
    login(client, "admin@acme.test")
    page = client.get(f"/admin/exports/{revoked.public_id}").get_data(as_text=True)
    assert "<dt>Expires</dt>" not in page
    assert "zip deleted (was 4.8 MB)" in page
    assert "Wrong project" in page


def test_an_export_whose_pdfs_are_all_made_says_it_is_packing_the_zip(client, world):
    packing = export_with_records(
        world, status="processing", total=20, done=20, cache_hits=15, started_at=utcnow()
    )
    login(client, "member@acme.test")
    fragment = client.get(f"/exports/{packing.public_id}/status").get_data(as_text=True)
    assert "Packing your zip: all 20 PDFs are made." in fragment
    assert "15 were already made for an earlier export." in fragment
    assert "left" not in fragment and 'hx-trigger="every 2s' in fragment


def test_records_found_in_the_cache_do_not_make_the_eta_optimistic(client, world):
    """900 of 1,000 came from the cache at once; 10 were rendered in 10 s, so the 90 left
    take about 90 s, not the 11 s that 910 done in 10 s would suggest."""
    running = export_with_records(
        world, status="processing", total=1000, done=910, cache_hits=900,
        started_at=utcnow() - timedelta(seconds=10),
    )  # fmt: skip
    login(client, "member@acme.test")
    fragment = client.get(f"/exports/{running.public_id}/status").get_data(as_text=True)
    assert "about 2 minutes left" in fragment
