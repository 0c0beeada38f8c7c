"""Two runs of one export at once: exactly one may finish; cancel stops the runner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.exports import attempts, endings, service
from portal.exports.attempts import AttemptLost, StoredPart
from portal.extensions import db
from portal.models import Export, ExportEvent, ExportPart, ExportStatus, utcnow
from tests import factories


def zips(*keys: str, size: int = 1) -> list[StoredPart]:
    return [StoredPart(n, key, size, f"{n:064x}", 5) for n, key in enumerate(keys, start=1)]


@pytest.fixture
def export(app, world):
    return factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=5)


def test_a_live_attempt_is_not_taken_over(export):
    assert attempts.claim(export.id) is not None
    assert attempts.claim(export.id) is None


def test_a_stale_attempt_is_taken_over_and_the_old_one_can_no_longer_finish(app, export):
    first = attempts.claim(export.id)
    db.session.execute(db.update(Export).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    second = attempts.claim(export.id)
    assert second.number == first.number + 1
    assert not attempts.complete(first, zips("exports/old.zip"), 0)
    with pytest.raises(AttemptLost):
        attempts.beat(first)
    assert attempts.complete(second, zips("exports/new.zip"), 0)
    db.session.refresh(export)
    assert export.status == "completed" and export.object_keys == ["exports/new.zip"]
    assert export.expires_at > utcnow() + timedelta(hours=167)


def test_cancel_fences_off_the_running_attempt(export):
    running = attempts.claim(export.id)
    service.cancel(export, export.requested_by)
    with pytest.raises(AttemptLost):
        attempts.beat(running)
    assert not attempts.complete(running, zips("k"), 0)


def test_finished_exports_are_never_claimed_again(export):
    attempt = attempts.claim(export.id)
    attempts.complete(attempt, zips("k"), 0)
    assert attempts.claim(export.id) is None


def test_unknown_export_id_is_not_claimed(app, world):
    factories.records(world.project_a, 1)
    assert attempts.claim(987654) is None


def test_a_beat_between_finding_a_stall_and_acting_on_it_keeps_the_attempt_alive(app, export):
    """The recovery pass found the attempt stale; before its UPDATE, the attempt beat. The
    UPDATE must see the beat: requeueing or failing a live attempt would stop real work."""
    running = attempts.claim(export.id)
    db.session.execute(db.update(Export).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    found = db.session.scalars(db.select(Export).where(attempts.stalled())).all()
    assert [e.id for e in found] == [export.id]
    attempts.beat(running)
    assert not attempts.requeue_stalled(running, requeues=0)
    assert not attempts.fail_stalled(running, "stopped responding")
    db.session.refresh(export)
    assert export.status == "processing" and export.attempt == running.number


def test_a_refused_completion_writes_no_parts_and_no_event(export):
    running = attempts.claim(export.id)
    service.cancel(export, export.requested_by)
    assert not attempts.complete(running, zips("a.zip", "b.zip"), 0)
    assert db.session.query(ExportPart).count() == 0
    assert ExportEvent.query.filter_by(export_id=export.id, kind="completed").count() == 0


def test_a_completion_of_three_zips_stores_them_in_order_with_their_total(export):
    attempt = attempts.claim(export.id)
    assert attempts.complete(attempt, zips("p1.zip", "p2.zip", "p3.zip", size=1000), 2)
    db.session.refresh(export)
    assert [(p.number, p.object_key) for p in export.parts] == [
        (1, "p1.zip"),
        (2, "p2.zip"),
        (3, "p3.zip"),
    ]
    assert export.byte_size == 3000 and export.warnings == 2
    [event] = ExportEvent.query.filter_by(export_id=export.id, kind="completed").all()
    assert "3 parts, 3,000 bytes" in event.detail


def test_a_retried_export_keeps_only_the_zips_of_the_attempt_that_completed(export):
    assert attempts.complete(attempts.claim(export.id), zips("old1.zip", "old2.zip"), 0)
    db.session.refresh(export)
    assert endings.fail_missing_parts(export, [2])
    service.retry(export, export.requested_by)
    assert attempts.complete(attempts.claim(export.id), zips("new.zip"), 0)
    db.session.refresh(export)
    assert export.object_keys == ["new.zip"]
