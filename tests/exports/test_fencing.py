"""Two runs of one export at once: exactly one may finish; cancel stops the runner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.exports import attempts
from portal.exports.attempts import AttemptLost
from portal.extensions import db
from portal.models import Export, ExportStatus, utcnow
from tests import factories


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
    assert not attempts.complete(first, "exports/old.zip", 1, "a" * 64, 0)
    with pytest.raises(AttemptLost):
        attempts.beat(first, 3, 0)
    assert attempts.complete(second, "exports/new.zip", 1, "b" * 64, 0)
    db.session.refresh(export)
    assert export.status == "completed" and export.object_key == "exports/new.zip"
    assert export.expires_at > utcnow() + timedelta(hours=167)


def test_cancel_fences_off_the_running_attempt(export):
    from portal.exports import service

    running = attempts.claim(export.id)
    service.cancel(export, export.requested_by)
    with pytest.raises(AttemptLost):
        attempts.beat(running, 1, 0)
    assert not attempts.complete(running, "k", 1, "c" * 64, 0)


def test_finished_exports_are_never_claimed_again(export):
    attempt = attempts.claim(export.id)
    attempts.complete(attempt, "k", 1, "d" * 64, 0)
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
    attempts.beat(running, 2, 0)
    assert not attempts.requeue_stalled(running, requeues=0)
    assert not attempts.fail_stalled(running, "stopped responding")
    db.session.refresh(export)
    assert export.status == "processing" and export.attempt == running.number
