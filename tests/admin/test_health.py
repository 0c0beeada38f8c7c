"""Queue health for admins, and the "exports are delayed" notice for users."""

from __future__ import annotations

import re
from datetime import timedelta

import redis
from rq import Worker

from portal import queues
from portal.extensions import db
from portal.models import RenderedPdf, utcnow
from tests import factories
from tests.factories import login

DELAYED = "Exports are delayed: our export workers are restarting; yours will start automatically."


def lane_row(page: str, lane: str) -> list[int]:
    row = re.search(rf"<th scope=\"row\">{lane}</th>(.*?)</tr>", page, re.S).group(1)
    return [int(n) for n in re.findall(r">(\d+)</td>", row)]


def test_queue_page_lists_a_live_worker_and_shows_no_banner(app, client, world, worker):
    login(client, "admin@acme.test")
    with worker():
        [alive] = Worker.all(connection=redis.Redis.from_url(app.config["REDIS_URL"]))
        page = client.get("/admin/queues").get_data(as_text=True)
    assert "Workers alive: 1" in page
    row = page[page.index(alive.name) :].split("</tr>")[0]
    assert "mail, exports-small, exports-large" in row
    assert "ago" in row or "just now" in row  # the last heartbeat, in words
    assert "No export worker is running" not in page


def test_without_a_worker_admins_see_a_banner_and_users_see_delays(app, world, make_export):
    pending = make_export(status="pending")
    done = make_export(status="completed", expires_at=utcnow() + timedelta(days=1))
    admin, member = app.test_client(), app.test_client()
    login(admin, "admin@acme.test")
    login(member, "member@acme.test")
    assert "No export worker is running" in admin.get("/admin/exports").get_data(as_text=True)
    assert DELAYED in member.get(f"/exports/{pending.public_id}").get_data(as_text=True)
    assert DELAYED not in member.get(f"/exports/{done.public_id}").get_data(as_text=True)


def test_lanes_show_queued_jobs_and_stuck_exports_are_listed(client, world, make_export):
    waiting = make_export(status="pending")
    queues.enqueue_export(waiting)
    stuck = make_export(status="processing", heartbeat_at=utcnow() - timedelta(hours=1))
    make_export(status="processing", heartbeat_at=utcnow())
    login(client, "admin@acme.test")
    page = client.get("/admin/queues").get_data(as_text=True)
    assert lane_row(page, "exports-small") == [1, 0, 0]
    assert lane_row(page, "exports-large") == [0, 0, 0]
    assert "Stuck in processing: 1" in page and stuck.public_id in page


def cache_row(page: str) -> str:
    section = page[page.index('id="cache-heading"') :]
    section = section[section.index("<table") :]
    return " ".join(re.sub(r"<[^>]+>", " ", section.split("</tbody>")[0]).split())


def test_the_render_cache_shows_its_size_and_hit_rate_within_the_admins_reach(
    app, client, world, staff, make_export
):
    records = [factories.record(p) for p in (world.project_a, world.project_a, world.project_b)]
    db.session.flush()
    for n, (record, size) in enumerate(zip(records, (1024, 2048, 10 * 1024), strict=True)):
        db.session.add(
            RenderedPdf(
                organization_id=record.organization_id,
                record_id=record.id,
                fingerprint=f"{n}" * 64,
                sha256="a" * 64,
                byte_size=size,
            )
        )
    make_export(status="completed", total=4, cache_hits=3)
    make_export(world.member_b, world.project_b, status="completed", total=10, cache_hits=0)
    db.session.commit()

    login(client, "admin@acme.test")
    assert cache_row(client.get("/admin/queues").get_data(as_text=True)) == (
        "Record PDFs Size Hit rate, last 7 days 2 3.0 KB 75% of the records in 1 export"
    )
    ops = app.test_client()
    login(ops, staff.email)
    assert cache_row(ops.get("/admin/queues").get_data(as_text=True)).endswith(
        "3 13.0 KB 21% of the records in 2 exports"
    )
