"""What a worker does to an Export row: claim an attempt, beat, finish or fail — all fenced.

RQ may run the same job twice at once (a dead worker's job is re-run while its orphaned
work-horse still runs). Each run claims a new attempt number; every later write is guarded
by that number and by status='processing', so exactly one attempt can complete, and a
cancelled or superseded attempt learns so at its next heartbeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from portal.exports import events
from portal.extensions import db
from portal.models import Export, ExportStatus, utcnow


class AttemptLost(Exception):
    """This attempt may no longer write: the export was cancelled or another attempt took over."""


@dataclass(frozen=True)
class Attempt:
    export_id: int
    number: int


def claim(export_id: int) -> Attempt | None:
    """Start a new attempt on a pending export, or take over one whose heartbeat went stale.

    A processing export with a fresh heartbeat is left alone: another run is alive.
    """
    stale_before = utcnow() - timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])
    row = db.session.get(Export, export_id)
    if row is None:
        return None
    now, number = utcnow(), row.attempt + 1
    changed = db.session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            Export.attempt == row.attempt,
            or_(
                Export.status == ExportStatus.PENDING,
                (Export.status == ExportStatus.PROCESSING)
                & or_(Export.heartbeat_at.is_(None), Export.heartbeat_at < stale_before),
            ),
        )
        .values(
            status=ExportStatus.PROCESSING,
            attempt=number,
            started_at=now,
            heartbeat_at=now,
            done=0,
            warnings=0,
            error=None,
        )
    ).rowcount
    if changed:
        events.add(export_id, "started", f"attempt {number}")
    db.session.commit()
    return Attempt(export_id, number) if changed else None


def _fence(attempt: Attempt) -> tuple:
    """Only the current attempt of a processing export may write."""
    return (
        Export.id == attempt.export_id,
        Export.attempt == attempt.number,
        Export.status == ExportStatus.PROCESSING,
    )


def _guarded(attempt: Attempt, event: str | None = None, detail: str = "", **values) -> bool:
    changed = db.session.execute(update(Export).where(*_fence(attempt)).values(**values)).rowcount
    if changed and event:
        events.add(attempt.export_id, event, detail)
    db.session.commit()
    return bool(changed)


def beat(attempt: Attempt, done: int, warnings: int) -> None:
    """Progress and heartbeat in one write; raises AttemptLost when this attempt is fenced off.

    Written on its own connection: committing the job's session would expire every record
    it holds and reload them, once a second, for nothing."""
    with db.engine.begin() as connection:
        changed = connection.execute(
            update(Export)
            .where(*_fence(attempt))
            .values(done=done, warnings=warnings, heartbeat_at=utcnow())
        ).rowcount
    if not changed:
        raise AttemptLost(f"export {attempt.export_id} attempt {attempt.number} was superseded")


def complete(attempt: Attempt, key: str, byte_size: int, sha256: str, warnings: int) -> bool:
    now = utcnow()
    return _guarded(
        attempt,
        ExportStatus.COMPLETED,
        f"attempt {attempt.number}, {byte_size:,} bytes, {warnings} warnings",
        status=ExportStatus.COMPLETED,
        object_key=key,
        byte_size=byte_size,
        sha256=sha256,
        warnings=warnings,
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + timedelta(hours=current_app.config["EXPORT_TTL_HOURS"]),
    )


def fail(attempt: Attempt, reason: str) -> bool:
    return _guarded(
        attempt,
        ExportStatus.FAILED,
        reason,
        status=ExportStatus.FAILED,
        error=reason,
        finished_at=utcnow(),
    )


def release_for_retry(attempt: Attempt, reason: str) -> bool:
    """Back to pending while RQ waits to retry, so the retry can claim it at once."""
    return _guarded(
        attempt, "retrying", reason, status=ExportStatus.PENDING, error=reason, heartbeat_at=None
    )


def load(export_id: int) -> Export:
    return db.session.scalars(select(Export).where(Export.id == export_id)).one()
