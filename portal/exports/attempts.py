"""What a worker does to an Export row: claim an attempt, beat, finish or fail — all fenced.

RQ may run the same job twice at once (a dead worker's job is re-run while its orphaned
work-horse still runs). Each run claims a new attempt number; every later write is guarded
by that number and by the processing status, so exactly one attempt can complete, and a
cancelled or superseded attempt learns so at its next heartbeat.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal.exports import events
from portal.exports.options import ExportOptions, LinkIn
from portal.extensions import db
from portal.mailer import MailKind
from portal.models import Export, ExportItem, ExportLink, ExportPart, ExportStatus, utcnow


class AttemptLost(Exception):
    """This attempt may no longer write: the export was cancelled or another attempt took over."""


@dataclass(frozen=True)
class Attempt:
    export_id: int
    number: int


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one record in the zip: the version and render-cache entry of the PDF
    it holds, or why there is none (a record deleted meanwhile has no item left to say so)."""

    record_id: int
    version: int | None
    fingerprint: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class StoredPart:
    """One zip an attempt has uploaded: what the worker hands to `complete`."""

    number: int  # 1..N, in the order the records were written
    object_key: str
    byte_size: int
    sha256: str
    records: int


def stalled() -> ColumnElement[bool]:
    """SQL for "processing, but its heartbeat is older than EXPORT_STALE_SECONDS": presumed
    lost. Evaluated in the same statement that acts on it, so a beat that lands first wins."""
    stale_before = utcnow() - timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])
    return (Export.status == ExportStatus.PROCESSING) & or_(
        Export.heartbeat_at.is_(None), Export.heartbeat_at < stale_before
    )


def claim(export_id: int) -> Attempt | None:
    """Start a new attempt on a pending export, or take over one whose heartbeat went stale.

    A processing export with a fresh heartbeat is left alone: another run is alive.
    """
    row = db.session.get(Export, export_id)
    if row is None:
        return None
    now, number = utcnow(), row.attempt + 1
    changed = db.session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            Export.attempt == row.attempt,
            or_(Export.status == ExportStatus.PENDING, stalled()),
        )
        .values(
            status=ExportStatus.PROCESSING,
            attempt=number,
            started_at=now,
            heartbeat_at=now,
            done=0,
            warnings=0,
            files_failed=0,
            cache_hits=0,
            error=None,
            **NO_RETRY_WAITING,
            **abort_uploads_before(number),
        )
    ).rowcount
    if changed:
        events.add(export_id, "started", f"attempt {number}", state=ExportStatus.PROCESSING)
        forget_link_errors(export_id)
    db.session.commit()
    return Attempt(export_id, number) if changed else None


def fence(attempt: Attempt) -> tuple:
    """Only the current attempt of a processing export may write."""
    if current_app.config["TEST_SKIP_FENCE"]:
        return (Export.id == attempt.export_id,)
    return (
        Export.id == attempt.export_id,
        Export.attempt == attempt.number,
        Export.status == ExportStatus.PROCESSING,
    )


def _guarded(
    attempt: Attempt,
    event: str | None = None,
    detail: str = "",
    when=None,
    along: Callable[[], None] | None = None,
    **values,
) -> bool:
    """One fenced write; `when` adds a condition that must still hold at the moment of it,
    `along` the writes that go in the same transaction, only if the fence let it through."""
    where = (*fence(attempt), when) if when is not None else fence(attempt)
    changed = db.session.execute(update(Export).where(*where).values(**values)).rowcount
    if changed and along:
        along()
    if changed and event:
        events.add(attempt.export_id, event, detail, state=values.get("status"))
    db.session.commit()
    return bool(changed)


def beat(attempt: Attempt, done: int = 0) -> None:
    """Proof of life, adding `done` entries the job itself put in the zip (a bundle's links;
    every worker rendering a chunk adds its records' own, see chunks.beat); raises
    AttemptLost when this attempt is fenced off.

    Written on its own connection: committing the job's session would expire every record
    it holds and reload them, once a second, for nothing."""
    with db.engine.begin() as connection:
        changed = connection.execute(
            update(Export)
            .where(*fence(attempt))
            .values(heartbeat_at=utcnow(), done=Export.done + done)
        ).rowcount
    if not changed:
        raise AttemptLost(f"export {attempt.export_id} attempt {attempt.number} was superseded")


def planned(attempt: Attempt, cache_hits: int, settled: int = 0) -> None:
    """The records already in the render cache count as done from the start, and so do the
    `settled` ones that will have no PDF whatever happens (an earlier PDF no longer kept)."""
    if not _guarded(attempt, done=cache_hits + settled, cache_hits=cache_hits):
        raise AttemptLost(f"export {attempt.export_id} attempt {attempt.number} was superseded")


def forget_link_errors(export_id: int) -> None:
    """A new attempt fetches every link again: the last one's reasons no longer hold."""
    db.session.execute(
        update(ExportLink)
        .where(ExportLink.export_id == export_id, ExportLink.error.is_not(None))
        .values(error=None)
    )


def note_link_errors(attempt: Attempt, errors: dict[int, str]) -> None:
    """Why each link gave no file, on its row, and how many: the export's page and its
    failure email list them (ERRORS.txt has them too, but a bundle that failed has no zip)."""
    rows = [{"export_id": attempt.export_id, "position": n, "error": e} for n, e in errors.items()]
    if not _guarded(
        attempt,
        along=lambda: db.session.execute(update(ExportLink), rows),
        files_failed=len(errors),
    ):
        raise AttemptLost(f"export {attempt.export_id} attempt {attempt.number} was superseded")


def complete(
    attempt: Attempt, parts: list[StoredPart], warnings: int, items: Sequence[ItemOutcome] = ()
) -> bool:
    """Completed with its parts, and the ready email owed, in one fenced write (expiring
    after the export's lifetime: a bundle's own, else EXPORT_TTL_HOURS): a refused
    completion writes nothing, and a crash or a Redis outage after this commit cannot lose
    the email (the recovery pass sends what is owed)."""
    if not parts:
        raise ValueError(f"export {attempt.export_id}: a completed export has at least one zip")
    now, total = utcnow(), sum(part.byte_size for part in parts)
    lifetime = ExportOptions.of(load(attempt.export_id)).ttl
    count = f"{len(parts)} parts, " if len(parts) > 1 else ""
    return _guarded(
        attempt,
        ExportStatus.COMPLETED,
        f"attempt {attempt.number}, {count}{total:,} bytes, {warnings} warnings",
        along=lambda: (replace_parts(attempt.export_id, parts), note_items(attempt, items)),
        status=ExportStatus.COMPLETED,
        byte_size=total,
        warnings=warnings,
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + lifetime,
        **owe_mail(MailKind.READY),
    )


def replace_parts(export_id: int, parts: list[StoredPart]) -> None:
    """The completing attempt's parts; a retried export drops the earlier attempt's rows."""
    db.session.execute(delete(ExportPart).where(ExportPart.export_id == export_id))
    rows = [{"export_id": export_id, **asdict(part)} for part in parts]
    db.session.execute(insert(ExportPart), rows)


def note_items(attempt: Attempt, items: Sequence[ItemOutcome]) -> None:
    """Each record's outcome on its export item, with the completion: what a redo of the
    failed ones and a re-order that knows what changed read."""
    if not items:
        return
    table = ExportItem.__table__
    statement = (
        update(table)
        .where(table.c.export_id == attempt.export_id, table.c.record_id == bindparam("rid"))
        .values(version=bindparam("v"), fingerprint=bindparam("fp"), error=bindparam("why"))
    )
    rows = [
        {"rid": i.record_id, "v": i.version, "fp": i.fingerprint, "why": i.error} for i in items
    ]
    db.session.execute(statement, rows)


def fail(
    attempt: Attempt, reason: str, event: str = ExportStatus.FAILED, detail: str = "", when=None
) -> bool:
    """Failed, with the failure email owed in the same write (see `complete`)."""
    return _guarded(
        attempt,
        event,
        detail or reason,
        when,
        status=ExportStatus.FAILED,
        error=reason,
        finished_at=utcnow(),
        **NO_RETRY_WAITING,
        **owe_mail(MailKind.FAILURE),
        **abort_uploads_before(attempt.number + 1),
    )


def abort_uploads_before(number: int) -> dict:
    """Every attempt before `number` is over: any upload it left unfinished (its process was
    killed, or storage refused its abort) is to be aborted (exports/leftovers.py)."""
    return {"abort_uploads_below": number} if number > 1 else {}


def owe_mail(kind: MailKind) -> dict:
    return {"mail_due": kind, "mail_due_at": utcnow()}


NO_RETRY_WAITING = {"next_try_at": None, "next_try_number": None, "max_tries": None}


@dataclass(frozen=True)
class NextTry:
    at: datetime
    number: int
    of: int


def release_for_retry(attempt: Attempt, problem: str, next_try: NextTry) -> bool:
    """Back to pending while RQ waits to retry, so the retry can claim it at once; the row
    says when that is and which try it will be, so the status page can tell the user."""
    reason = f"Retrying after {problem}"
    return _guarded(
        attempt,
        "retrying",
        f"{reason}; try {next_try.number} of {next_try.of} at {next_try.at:%H:%M:%S} UTC",
        status=ExportStatus.PENDING,
        error=reason,
        heartbeat_at=None,
        next_try_at=next_try.at,
        next_try_number=next_try.number,
        max_tries=next_try.of,
    )


def requeue_stalled(attempt: Attempt, requeues: int) -> bool:
    """An attempt that stopped beating goes back to pending, once; its number fences it off.
    Only if it is still stalled as this runs: a beat since it was found proves it alive."""
    return _guarded(
        attempt,
        "stalled",
        f"attempt {attempt.number} stopped responding; queued again",
        stalled(),
        status=ExportStatus.PENDING,
        requeues=requeues + 1,
        heartbeat_at=None,
    )


def fail_stalled(attempt: Attempt, reason: str) -> bool:
    detail = f"attempt {attempt.number} stopped responding; failed"
    return fail(attempt, reason, event="stalled", detail=detail, when=stalled())


def load(export_id: int) -> Export:
    return db.session.scalars(select(Export).where(Export.id == export_id)).one()


def export_links(export: Export) -> list[LinkIn]:
    """A bundle's links as they were asked for, in order: what the worker fetches."""
    rows = db.session.execute(
        select(ExportLink.url, ExportLink.name)
        .where(ExportLink.export_id == export.id)
        .order_by(ExportLink.position)
    )
    return [LinkIn(url, name) for url, name in rows]
