"""The chunk protocol of a large export, whole: the attempt that owns the export plans its
chunks; any worker claims one, beats while it renders it and finishes it; the owner waits
until none is outstanding and reads their errors. A cancel needs no step of its own: the
export leaves `processing`, so the next claim finds nothing and the next beat raises
AttemptLost. The worker's loop over these steps is jobs/fanout.py; nothing else writes chunks.

Every write is fenced twice. The chunk's claim token fences off a worker presumed dead
(its beat went stale and another took the chunk over); the export's attempt and status
fence off everything of a cancelled or superseded attempt, exactly as attempts.py does for
the export's own job. Progress is counted as it happens, `done = done + n`, into the chunk
and the export in one transaction, so the bar moves for every worker at once and a
takeover can take back exactly what the dead worker had counted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal.exports import states
from portal.exports.attempts import Attempt, AttemptLost, fence
from portal.extensions import db
from portal.models import ChunkStatus, Export, ExportChunk, utcnow


@dataclass(frozen=True)
class ChunkClaim:
    attempt: Attempt
    chunk_id: int
    number: int
    token: str
    record_ids: tuple[int, ...]


def plan(attempt: Attempt, record_ids: list[int], size: int) -> int:
    """This attempt's chunks, replacing any an earlier attempt left; returns their number."""
    db.session.execute(delete(ExportChunk).where(ExportChunk.export_id == attempt.export_id))
    rows = [
        {
            "export_id": attempt.export_id,
            "attempt": attempt.number,
            "number": number,
            "record_ids": record_ids[start : start + size],
            "status": ChunkStatus.QUEUED,
            "done": 0,
            "errors": {},
        }
        for number, start in enumerate(range(0, len(record_ids), size), start=1)
    ]
    if rows:
        db.session.execute(ExportChunk.__table__.insert(), rows)
    db.session.commit()
    return len(rows)


def _claimable(attempt: Attempt) -> ColumnElement[bool]:
    """Queued, or running with a beat older than EXPORT_STALE_SECONDS: its worker is gone."""
    stale_before = utcnow() - timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])
    return and_(
        ExportChunk.export_id == attempt.export_id,
        ExportChunk.attempt == attempt.number,
        or_(
            ExportChunk.status == ChunkStatus.QUEUED,
            and_(
                ExportChunk.status == ChunkStatus.RUNNING, ExportChunk.heartbeat_at < stale_before
            ),
        ),
    )


def claim_next(attempt: Attempt) -> ChunkClaim | None:
    """The lowest-numbered claimable chunk, or None when there is none or the attempt is over.

    The UPDATE repeats the SELECT's conditions, the attempt's fence and the previous claim,
    so of two workers that saw the same chunk exactly one gets it, and none once the export
    was cancelled, even a moment after the check above. Taking over from a dead worker subtracts
    what it had counted, in the same transaction, so no record is counted twice."""
    if not db.session.scalar(select(func.count()).select_from(Export).where(*fence(attempt))):
        return None
    found = db.session.execute(
        select(ExportChunk.id, ExportChunk.number, ExportChunk.claim, ExportChunk.done)
        .where(_claimable(attempt))
        .order_by(ExportChunk.number)
        .limit(1)
    ).first()
    if found is None:
        db.session.rollback()
        return None
    chunk_id, number, previous, counted = found
    token = secrets.token_hex(8)
    taken = db.session.execute(
        update(ExportChunk)
        .where(
            ExportChunk.id == chunk_id,
            _same_claim(previous),
            ExportChunk.done == counted,
            _claimable(attempt),
            select(Export.id).where(*fence(attempt)).exists(),
        )
        .values(status=ChunkStatus.RUNNING, claim=token, heartbeat_at=utcnow(), done=0)
    ).rowcount
    if taken and counted:
        db.session.execute(update(Export).where(*fence(attempt)).values(done=Export.done - counted))
    db.session.commit()
    if not taken:
        return claim_next(attempt)  # another worker won this one: try the next
    record_ids = db.session.scalar(select(ExportChunk.record_ids).where(ExportChunk.id == chunk_id))
    db.session.commit()
    return ChunkClaim(attempt, chunk_id, number, token, tuple(record_ids))


def _same_claim(previous: str | None) -> ColumnElement[bool]:
    if previous is None:
        return ExportChunk.claim.is_(None)
    return ExportChunk.claim == previous


def _held(claim: ChunkClaim) -> tuple:
    if current_app.config["TEST_SKIP_FENCE"]:
        return (ExportChunk.id == claim.chunk_id,)
    return (
        ExportChunk.id == claim.chunk_id,
        ExportChunk.claim == claim.token,
        ExportChunk.status == ChunkStatus.RUNNING,
    )


def beat(claim: ChunkClaim, rendered: int, failed: int) -> None:
    """Count records into the chunk and the export, and beat; raises AttemptLost when the
    chunk was taken over or the export's attempt is over. On its own connection, like the
    export's heartbeat, so a beat never commits (or waits for) the job's session."""
    now = utcnow()
    with db.engine.begin() as connection:
        held = connection.execute(
            update(ExportChunk)
            .where(*_held(claim))
            .values(done=ExportChunk.done + rendered, heartbeat_at=now)
        ).rowcount
        counted = (
            held
            and connection.execute(
                update(Export)
                .where(*fence(claim.attempt))
                .values(done=Export.done + rendered, warnings=Export.warnings + failed)
            ).rowcount
        )
        if not counted:
            connection.rollback()
            raise AttemptLost(f"chunk {claim.number} of export {claim.attempt.export_id} is over")


def finish(claim: ChunkClaim, errors: dict[int, str]) -> None:
    """Done, with the records that could not be rendered and why (for ERRORS.txt)."""
    done = db.session.execute(
        update(ExportChunk)
        .where(*_held(claim))
        .values(status=ChunkStatus.DONE, errors={str(k): v for k, v in errors.items()})
    ).rowcount
    db.session.commit()
    if not done:
        raise AttemptLost(
            f"chunk {claim.number} of export {claim.attempt.export_id} was taken over"
        )


def outstanding(attempt: Attempt) -> int:
    """Chunks of this attempt not yet done, whoever holds them."""
    count = db.session.scalar(
        select(func.count())
        .select_from(ExportChunk)
        .where(
            ExportChunk.export_id == attempt.export_id,
            ExportChunk.attempt == attempt.number,
            ExportChunk.status != ChunkStatus.DONE,
        )
    )
    db.session.commit()
    return count


def errors(attempt: Attempt) -> dict[int, str]:
    """Every record of this attempt's chunks that could not be rendered, with the reason."""
    found: dict[int, str] = {}
    for chunk_errors in db.session.scalars(
        select(ExportChunk.errors).where(
            ExportChunk.export_id == attempt.export_id, ExportChunk.attempt == attempt.number
        )
    ):
        found.update({int(k): v for k, v in chunk_errors.items()})
    return found


def discard(export_id: int) -> None:
    """Once an export has its zips, its chunks are of no more use."""
    db.session.execute(delete(ExportChunk).where(ExportChunk.export_id == export_id))
    db.session.commit()


def discard_ended() -> int:
    """Chunks of exports that ended another way (failed, cancelled): for the sweeper."""
    ended = select(Export.id).where(Export.status.not_in(states.LIVE))
    gone = db.session.execute(delete(ExportChunk).where(ExportChunk.export_id.in_(ended)))
    db.session.commit()
    return gone.rowcount
