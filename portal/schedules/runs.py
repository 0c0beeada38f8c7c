"""Claiming and running what is due. Any number of schedulers may run this at once.

A run is claimed by one guarded UPDATE that moves `next_run_at` past now and adds one to
`runs`, fenced by the number of runs it read (as attempts are fenced by attempt number): of
two schedulers reading the same due row one alone changes it. The next time is computed
after *now*, not after the missed one, so a scheduler that comes back after three missed
Fridays runs once, then waits for the next Friday.

A run is an ordinary export of the owner's, through exports.service like any request, named
after the schedule and the day, its PDFs archival and signed as the organisation's handover
settings say (as an export form left at its defaults); a filter that now matches nothing (or
nothing changed since the last run) sends the owner a short notice instead of an empty zip.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select, update

from portal import urls
from portal.exports import service, states
from portal.exports.errors import ExportRequestError
from portal.exports.options import ExportOptions, PdfPolicy
from portal.extensions import db
from portal.mailer import send_branded
from portal.models import Export, Record, Schedule, utcnow
from portal.records.filters import RecordFilter
from portal.schedules import rhythm
from portal.shares import service as shares
from portal.shares.service import ShareAsked


def run_due(now: datetime | None = None) -> list[Export | None]:
    """Every due schedule this scheduler wins: the export each made (None: nothing to export)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Schedule)
        .where(Schedule.paused.is_(False), Schedule.next_run_at <= now)
        .order_by(Schedule.next_run_at, Schedule.id)
    ).all()
    done = []
    for schedule in due:
        since = schedule.last_run_at
        if claim(schedule, now):
            done.append(run(schedule, since, now))
    return done


def claim(schedule: Schedule, now: datetime) -> bool:
    """True when this scheduler took the run; its next time is the first after now."""
    following = rhythm.next_after(schedule.rrule, schedule.timezone, schedule.created_at, now)
    taken = db.session.execute(
        update(Schedule)
        .where(
            Schedule.id == schedule.id,
            Schedule.runs == schedule.runs,
            Schedule.paused.is_(False),
            Schedule.next_run_at <= now,
        )
        .values(next_run_at=following, last_run_at=now, runs=Schedule.runs + 1)
    )
    db.session.commit()
    db.session.refresh(schedule)
    return taken.rowcount == 1


def records_for(schedule: Schedule, since: datetime | None) -> list[int]:
    """The saved filter's records now; with "only changed", those whose version moved since
    the previous run (a record's update bumps its version and its updated_at together)."""
    query = RecordFilter.from_args(schedule.filter_args).apply(
        select(Record.id).where(
            Record.project_id == schedule.project_id,
            Record.organization_id == schedule.organization_id,
        )
    )
    if schedule.only_changed and since is not None:
        query = query.where(Record.updated_at > since)
    return list(db.session.scalars(query.order_by(Record.id)))


def run(schedule: Schedule, since: datetime | None, now: datetime) -> Export | None:
    ids = records_for(schedule, since)
    if not ids:
        tell_owner(schedule, "email/schedule_nothing", "nothing to export")
        return None
    day = rhythm.local_day(schedule.timezone, now)
    asked = ExportOptions(name=f"{schedule.name} — {day}")
    options = PdfPolicy.of(schedule.owner.organization).applied(asked)
    try:
        export = service.request_export(schedule.owner, schedule.project, ids, options).export
    except ExportRequestError as exc:
        current_app.logger.warning("schedule %s not run: %s", schedule.public_id, exc)
        tell_owner(schedule, "email/schedule_refused", "could not run", reason=str(exc))
        return None
    db.session.execute(
        update(Schedule).where(Schedule.id == schedule.id).values(last_export_id=export.id)
    )
    db.session.commit()
    return export


def tell_owner(schedule: Schedule, template: str, what: str, **context) -> None:
    context |= {"schedule": schedule, "records_url": urls.project_records(schedule)}
    send_branded(
        schedule.owner.organization,
        template,
        context,
        subject=f"Scheduled export “{schedule.name}”: {what}",
        recipients=[schedule.owner.email],
    )


def deliver_ready() -> int:
    """Share each completed run with its schedule's recipients, once: the sending is claimed
    by setting `delivered_export_id` in a guarded UPDATE, so of two schedulers one sends.
    A recipient the organisation's sharing policy refuses (or mail being down) is logged and
    not retried: the owner still has the export."""
    ready = db.session.execute(
        select(Schedule, Export)
        .join(Export, Export.id == Schedule.last_export_id)
        .where(Export.status == states.COMPLETED)
        .where(
            or_(Schedule.delivered_export_id.is_(None), Schedule.delivered_export_id != Export.id)
        )
    ).all()
    sent = 0
    for schedule, export in ready:
        if not schedule.recipients or not claim_delivery(schedule, export):
            continue
        asked = ShareAsked(
            emails=list(schedule.recipients),
            message=f"The scheduled export “{schedule.name}”.",
            expires_at=export.expires_at,
            with_passcode=False,
        )
        try:
            shares.share(export, schedule.owner, asked)
            sent += 1
        except ExportRequestError as exc:
            current_app.logger.warning("schedule %s not shared: %s", schedule.public_id, exc)
    return sent


def claim_delivery(schedule: Schedule, export: Export) -> bool:
    taken = db.session.execute(
        update(Schedule)
        .where(
            Schedule.id == schedule.id,
            or_(Schedule.delivered_export_id.is_(None), Schedule.delivered_export_id != export.id),
        )
        .values(delivered_export_id=export.id)
    )
    db.session.commit()
    return taken.rowcount == 1
