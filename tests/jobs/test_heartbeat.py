"""The heartbeat comes from a thread, so a slow step never makes a live export look lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobs import fanout, heartbeat
from jobs.heartbeat import Heartbeat
from portal.exports import attempts, chunks
from portal.exports.attempts import AttemptLost
from portal.extensions import db
from portal.models import Export, ExportStatus
from tests import factories
from tests.helpers import reload
from tests.polling import wait_until


@pytest.fixture
def attempt(app, world):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=5)
    return attempts.claim(export.id)


def refused(pulse: Heartbeat) -> bool:
    try:
        pulse.check()
    except AttemptLost:
        return True
    return False


def test_it_beats_while_the_job_is_busy_with_something_else(attempt):
    claimed_at = reload(attempt.export_id).heartbeat_at
    with heartbeat.of_attempt(attempt):
        later = claimed_at + timedelta(seconds=2)
        wait_until(lambda: reload(attempt.export_id).heartbeat_at >= later, timeout=15)


def test_a_chunks_beat_writes_the_progress_counted_by_the_job(attempt):
    chunks.plan(attempt, [1, 2, 3], 5)  # ids the chunk only carries
    with fanout.chunk_heartbeat(chunks.claim_next(attempt)) as pulse:
        pulse.count(failed=False)
        pulse.count(failed=True)
        wait_until(lambda: reload(attempt.export_id).done == 2, timeout=15)
        pulse.count(failed=False)
        pulse.beat()
    assert (reload(attempt.export_id).done, reload(attempt.export_id).warnings) == (3, 1)


def test_a_cancelled_attempt_stops_at_its_next_record(attempt):
    counted = []
    with pytest.raises(AttemptLost), heartbeat.of_attempt(attempt) as pulse:
        db.session.execute(db.update(Export).values(status=ExportStatus.CANCELLED))
        db.session.commit()
        wait_until(lambda: refused(pulse), timeout=15)
        pulse.count()
        counted.append(True)
    assert counted == []
