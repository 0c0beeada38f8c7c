"""What people do to schedules: make, change, pause, resume and delete them.

Each change that touches the rhythm computes `next_run_at` again from now, and adds one to
`runs`, so a scheduler holding the row as it was loses its claim (runs.claim is fenced by it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from portal.exports.errors import ExportRequestError
from portal.extensions import db
from portal.models import Project, Schedule, User, utcnow
from portal.models.lengths import SCHEDULE_NAME_MAX
from portal.records.filters import RecordFilter
from portal.schedules import rhythm
from portal.shares.service import parse_recipients


@dataclass(frozen=True)
class ScheduleIn:
    """A schedule as asked for, checked: its name, filter, rhythm, zone and option."""

    name: str
    filter_args: dict
    rrule: str
    timezone: str
    only_changed: bool
    recipients: tuple[str, ...] = ()

    @classmethod
    def checked(cls, name, filter_args, rrule, timezone, only_changed, recipients="") -> ScheduleIn:
        name = " ".join((name or "").split())
        if not name or len(name) > SCHEDULE_NAME_MAX:
            raise ExportRequestError(
                f"Give the schedule a name of 1 to {SCHEDULE_NAME_MAX} characters."
            )
        applied = RecordFilter.from_args(filter_args or {})
        if applied.ignored:
            bad = ", ".join(f"{i.param}={i.value!r} ({i.reason})" for i in applied.ignored)
            raise ExportRequestError(f"The filter has values that mean nothing: {bad}.")
        try:
            rhythm.next_after(rrule, timezone, utcnow(), utcnow())
        except rhythm.RhythmError as exc:
            raise ExportRequestError(str(exc)) from None
        listed = tuple(parse_recipients(recipients)) if (recipients or "").strip() else ()
        return cls(name, applied.query_args(), rrule.strip(), timezone, bool(only_changed), listed)


def add(owner: User, project: Project, asked: ScheduleIn) -> Schedule:
    now = utcnow()
    schedule = Schedule(
        organization_id=owner.organization_id,
        project_id=project.id,
        owner_id=owner.id,
        name=asked.name,
        filter_args=asked.filter_args,
        rrule=asked.rrule,
        timezone=asked.timezone,
        only_changed=asked.only_changed,
        recipients=list(asked.recipients),
        created_at=now,
        next_run_at=rhythm.next_after(asked.rrule, asked.timezone, now, now),
    )
    db.session.add(schedule)
    db.session.commit()
    return schedule


def edit(schedule: Schedule, asked: ScheduleIn) -> None:
    now = utcnow()
    values = {
        "name": asked.name,
        "filter_args": asked.filter_args,
        "rrule": asked.rrule,
        "timezone": asked.timezone,
        "only_changed": asked.only_changed,
        "recipients": list(asked.recipients),
        "created_at": now,
        "next_run_at": rhythm.next_after(asked.rrule, asked.timezone, now, now),
    }
    fenced(schedule, **values)


def pause(schedule: Schedule) -> None:
    fenced(schedule, paused=True)


def resume(schedule: Schedule) -> None:
    """From now on: the runs missed while paused are not made up."""
    now = utcnow()
    following = rhythm.next_after(schedule.rrule, schedule.timezone, schedule.created_at, now)
    fenced(schedule, paused=False, next_run_at=following)


def delete(schedule: Schedule) -> None:
    db.session.delete(schedule)
    db.session.commit()


def fenced(schedule: Schedule, **values) -> None:
    """A change that also ends any claim a scheduler is about to make on the row as it was."""
    db.session.execute(
        update(Schedule).where(Schedule.id == schedule.id).values(runs=Schedule.runs + 1, **values)
    )
    db.session.commit()
    db.session.refresh(schedule)
