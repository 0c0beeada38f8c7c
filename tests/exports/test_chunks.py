"""The chunks of a fanned-out export: claimed once, counted once, fenced twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.exports import attempts, chunks, service
from portal.exports.attempts import AttemptLost
from portal.extensions import db
from portal.models import ChunkStatus, Export, ExportChunk, ExportStatus, utcnow
from tests import factories
from tests.helpers import reload


@pytest.fixture
def running(app, world):
    """A claimed attempt of a 10-record export, planned as chunks of 4, 4 and 2 records."""
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, 10)
    attempt = attempts.claim(export.id)
    ids = [item.record_id for item in export.items]
    assert chunks.plan(attempt, ids, 4) == 3
    return attempt


def test_plan_splits_the_records_in_order_and_replaces_an_earlier_attempts_chunks(running):
    rows = ExportChunk.query.order_by(ExportChunk.number).all()
    assert [len(row.record_ids) for row in rows] == [4, 4, 2]
    assert {row.attempt for row in rows} == {running.number}
    assert all(row.status == ChunkStatus.QUEUED for row in rows)

    chunks.plan(running, rows[0].record_ids, 4)
    assert ExportChunk.query.count() == 1


def test_each_chunk_is_claimed_once_in_order_then_none_is_left(running):
    claims = [chunks.claim_next(running) for _ in range(4)]
    assert [c.number for c in claims[:3]] == [1, 2, 3]
    assert claims[3] is None
    assert len({c.token for c in claims[:3]}) == 3
    assert chunks.outstanding(running) == 3


def test_progress_counts_into_the_chunk_and_the_export_at_once(running):
    claim = chunks.claim_next(running)
    chunks.beat(claim, rendered=3, failed=1)
    chunks.beat(claim, rendered=1, failed=0)
    export = db.session.get(Export, running.export_id)
    db.session.refresh(export)
    assert (export.done, export.warnings) == (4, 1)
    assert db.session.get(ExportChunk, claim.chunk_id).done == 4


def test_a_stale_chunk_is_taken_over_and_its_count_taken_back(running):
    dead = chunks.claim_next(running)
    chunks.beat(dead, rendered=3, failed=0)
    db.session.execute(
        db.update(ExportChunk)
        .where(ExportChunk.id == dead.chunk_id)
        .values(heartbeat_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()

    taken = chunks.claim_next(running)

    assert taken.number == dead.number and taken.token != dead.token
    assert reload(running.export_id).done == 0
    with pytest.raises(AttemptLost):
        chunks.beat(dead, rendered=1, failed=0)
    with pytest.raises(AttemptLost):
        chunks.finish(dead, {})
    assert reload(running.export_id).done == 0


def test_a_live_chunk_is_not_taken_over(running):
    first = chunks.claim_next(running)
    others = [chunks.claim_next(running) for _ in range(3)]
    assert first.number not in [c.number for c in others if c]


def test_finish_records_the_errors_and_only_done_chunks_stop_counting(running):
    claim = chunks.claim_next(running)
    chunks.finish(claim, {claim.record_ids[0]: "photo 1 (a.jpg) is missing"})
    assert chunks.outstanding(running) == 2
    assert chunks.errors(running) == {claim.record_ids[0]: "photo 1 (a.jpg) is missing"}
    assert db.session.get(ExportChunk, claim.chunk_id).status == ChunkStatus.DONE


def test_cancel_stops_every_chunk_of_the_attempt(running):
    held = chunks.claim_next(running)
    export = db.session.get(Export, running.export_id)
    service.cancel(export, export.requested_by)

    with pytest.raises(AttemptLost):
        chunks.beat(held, rendered=1, failed=0)
    assert chunks.claim_next(running) is None
    assert reload(export).done == 0


def test_a_superseded_attempt_claims_nothing_and_counts_nothing(running):
    held = chunks.claim_next(running)
    db.session.execute(db.update(Export).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    newer = attempts.claim(running.export_id)

    assert newer.number == running.number + 1
    assert chunks.claim_next(running) is None
    with pytest.raises(AttemptLost):
        chunks.beat(held, rendered=2, failed=0)
    assert reload(running.export_id).done == 0


def test_the_sweeper_drops_the_chunks_of_ended_exports_only(running, world):
    live = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, 3)
    live_attempt = attempts.claim(live.id)
    chunks.plan(live_attempt, [item.record_id for item in live.items], 2)
    export = db.session.get(Export, running.export_id)
    service.cancel(export, export.requested_by)

    assert chunks.discard_ended() == 3
    assert {row.export_id for row in ExportChunk.query} == {live.id}
