"""/api/v1/schedules: the schedules page's rules, through the same service and access checks
(an owner's own, or their organisation's for an admin; anyone else's id is 404)."""

from __future__ import annotations

from flask_login import current_user

from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.spec import api_spec, responses
from portal.extensions import db
from portal.models import Export, Project, Schedule
from portal.schedules import service
from portal.schedules.access import schedule_or_404, visible_schedules
from portal.schedules.service import ScheduleIn
from portal.tenancy import get_or_404

TAGS = ("schedules",)
ONE = responses(HTTP_200=schemas.ScheduleOut)


def schedule_out(schedule: Schedule) -> schemas.ScheduleOut:
    last = db.session.get(Export, schedule.last_export_id) if schedule.last_export_id else None
    return schemas.ScheduleOut(
        id=schedule.public_id,
        name=schedule.name,
        project=schedule.project.public_id,
        filter=schedule.filter_args,
        rrule=schedule.rrule,
        timezone=schedule.timezone,
        only_changed=schedule.only_changed,
        recipients=schedule.recipients,
        paused=schedule.paused,
        next_run_at=None if schedule.paused else schedule.next_run_at,
        last_run_at=schedule.last_run_at,
        last_export=last.public_id if last else None,
    )


@bp.get("/schedules")
@api_spec.validate(
    resp=responses(HTTP_200=schemas.ScheduleList), tags=TAGS, operation_id="list_schedules"
)
def list_schedules():
    """Your schedules (an admin: the organisation's), with their next and last run"""
    rows = db.session.scalars(visible_schedules()).all()
    return schemas.ScheduleList(items=[schedule_out(s) for s in rows])


@bp.post("/schedules")
@api_spec.validate(
    json=schemas.ScheduleIn,
    resp=responses(403, 422, HTTP_201=schemas.ScheduleOut),
    tags=TAGS,
    operation_id="create_schedule",
)
def create_schedule(json: schemas.ScheduleIn):
    """Schedule an export of a project's filtered records

    Each run is an ordinary export of yours, named after the schedule and the day; a run
    whose filter matches nothing emails you a notice instead. A rule or zone that cannot be
    used is a 400 saying why."""
    project = get_or_404(Project, json.project)
    filter_args = json.filter.as_filter().query_args()
    asked = ScheduleIn.checked(
        json.name,
        filter_args,
        json.rrule,
        json.timezone,
        json.only_changed,
        ", ".join(json.recipients),
    )
    return schedule_out(service.add(current_user, project, asked)), 201


@bp.get("/schedules/<schedule_id>")
@api_spec.validate(resp=ONE, tags=TAGS, operation_id="get_schedule")
def get_schedule(schedule_id: str):
    """One schedule"""
    return schedule_out(schedule_or_404(schedule_id))


ACTED = responses(403, HTTP_200=schemas.ScheduleOut)


@bp.post("/schedules/<schedule_id>/pause")
@api_spec.validate(resp=ACTED, tags=TAGS, operation_id="pause_schedule")
def pause_schedule(schedule_id: str):
    """Pause a schedule: nothing runs until it is resumed"""
    return acted(schedule_id, service.pause)


@bp.post("/schedules/<schedule_id>/resume")
@api_spec.validate(resp=ACTED, tags=TAGS, operation_id="resume_schedule")
def resume_schedule(schedule_id: str):
    """Resume a paused schedule from now on (missed runs are not made up)"""
    return acted(schedule_id, service.resume)


def acted(schedule_id: str, change) -> schemas.ScheduleOut:
    schedule = schedule_or_404(schedule_id)
    change(schedule)
    return schedule_out(schedule)


@bp.delete("/schedules/<schedule_id>")
@api_spec.validate(
    resp=responses(403, codes=("HTTP_204",)), tags=TAGS, operation_id="delete_schedule"
)
def delete_schedule(schedule_id: str):
    """Delete a schedule (its exports stay)"""
    service.delete(schedule_or_404(schedule_id))
    return "", 204
