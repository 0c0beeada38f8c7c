"""The sweeper brings the database, Redis and the bucket back into agreement."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue

from jobs.sweep import run_sweep
from portal import queues
from portal.extensions import db
from portal.models import Export, ExportStatus, utcnow
from portal.storage import client as s3
from tests import factories


def make_export(world, state: ExportStatus, **columns) -> Export:
    return factories.export_in(state, world.member_a, world.project_a, total=2, **columns)


def jobs_in(app, lane: str) -> list[str]:
    return Queue(lane, connection=redis.Redis.from_url(app.config["REDIS_URL"])).job_ids


def test_completed_export_past_expiry_is_expired_and_its_zip_deleted(app, world, bucket):
    s3.put_bytes("exports/1/old.zip", b"zip", "application/zip")
    export = make_export(
        world,
        ExportStatus.COMPLETED,
        parts=["exports/1/old.zip"],
        expires_at=utcnow() - timedelta(minutes=1),
    )
    assert run_sweep()["zips_expired"] == 1
    db.session.refresh(export)
    assert export.status == "expired"
    assert not s3.exists("exports/1/old.zip")
    assert run_sweep()["zips_expired"] == 0


def test_an_expired_export_of_three_zips_has_all_three_deleted(app, world, bucket):
    export = make_export(
        world, ExportStatus.COMPLETED, parts=3, expires_at=utcnow() - timedelta(minutes=1)
    )
    for key in export.object_keys:
        s3.put_bytes(key, b"zip", "application/zip")
    s3.put_bytes("exports/1/other/attempt-1/keep.zip", b"zip", "application/zip")
    assert run_sweep()["zips_expired"] == 1
    assert s3.list_keys("exports/") == ["exports/1/other/attempt-1/keep.zip"]
    db.session.refresh(export)
    assert export.status == "expired"


def test_expiring_soon_mail_is_enqueued_for_exports_ending_within_a_day(app, world, bucket):
    make_export(
        world,
        ExportStatus.COMPLETED,
        parts=["k"],
        finished_at=utcnow() - timedelta(days=6),
        expires_at=utcnow() + timedelta(hours=5),
    )
    make_export(
        world,
        ExportStatus.COMPLETED,
        parts=["k2"],
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=6),
    )
    assert run_sweep()["expiry_warnings"] == 1
    assert len(jobs_in(app, "mail")) == 1


def test_pending_export_whose_job_vanished_from_redis_is_enqueued_again(app, world, bucket):
    export = make_export(world, ExportStatus.PENDING, created_at=utcnow() - timedelta(minutes=5))
    fresh = make_export(world, ExportStatus.PENDING)
    assert run_sweep()["lost_requeued"] == 1
    assert jobs_in(app, "exports-small") == [queues.job_id(export)]
    assert run_sweep()["lost_requeued"] == 0  # queued now: not lost
    assert fresh.status == "pending"


def test_a_retry_overdue_in_the_scheduled_registry_is_queued_and_a_future_one_is_left(
    app, world, bucket
):
    """No scheduler runs here, as when a killed one still holds its lock: the pass itself
    queues the retry whose time has passed, and only that one."""
    lane = queues.queue("exports-small")
    due = {"when": utcnow() - timedelta(seconds=30), "then": utcnow() + timedelta(minutes=5)}
    rows = {}
    for name, at in due.items():
        rows[name] = row = make_export(world, ExportStatus.PENDING, next_try_at=at)
        lane.enqueue_at(at, "jobs.export.run_export", row.id, job_id=queues.job_id(row))

    assert run_sweep()["overdue_retries_queued"] == 1
    assert lane.job_ids == [queues.job_id(rows["when"])]
    assert lane.scheduled_job_registry.get_job_ids() == [queues.job_id(rows["then"])]
    assert run_sweep()["overdue_retries_queued"] == 0  # queued now: not again


def test_stalled_export_is_requeued_once_then_failed_with_a_reason(app, world, bucket):
    stale = utcnow() - timedelta(hours=1)
    export = make_export(world, ExportStatus.PROCESSING, attempt=1, heartbeat_at=stale)
    assert run_sweep()["stalled_recovered"] == 1
    db.session.refresh(export)
    assert export.status == "pending" and export.requeues == 1
    db.session.execute(db.update(Export).values(status="processing", heartbeat_at=stale))
    db.session.commit()
    run_sweep()
    db.session.refresh(export)
    assert export.status == "failed" and "stopped responding" in export.error


def test_sweep_command_prints_what_it_did(app, world, bucket):
    result = app.test_cli_runner().invoke(args=["exports", "sweep"])
    assert result.exit_code == 0, result.output
    assert "zips expired: 0" in result.output
