"""The schedules page: a person's scheduled exports with their next and last run, and the
owner's pause, resume, edit and delete. Another organisation's schedule (or a colleague's,
to a member) answers 404."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import vocabulary
from portal.exports.errors import ExportRequestError
from portal.extensions import db
from portal.models import Export, Project
from portal.schedules import rhythm, service
from portal.schedules.access import schedule_or_404, visible_schedules
from portal.schedules.service import ScheduleIn
from portal.tenancy import get_or_404

bp = Blueprint("schedules", __name__)
FILTER_FIELDS = ("kind", "status", "q")
DEFAULT_ZONE = "Europe/London"


@bp.get("/schedules")
def index():
    schedules = db.session.scalars(visible_schedules()).all()
    last = {
        e.id: e
        for e in db.session.scalars(
            select(Export).where(
                Export.id.in_([s.last_export_id for s in schedules if s.last_export_id])
            )
        )
    }
    return render_template("schedules/index.html", schedules=schedules, last=last)


@bp.get("/projects/<project_id>/schedules/new")
def new(project_id: str):
    project = get_or_404(Project, project_id)
    filter_args = {name: request.args[name] for name in FILTER_FIELDS if request.args.get(name)}
    return form_page(None, project, {"filter_args": filter_args, "timezone": DEFAULT_ZONE})


@bp.post("/schedules")
def create():
    project = get_or_404(Project, request.form.get("project", ""))
    try:
        schedule = service.add(current_user, project, asked())
    except ExportRequestError as exc:
        return form_page(None, project, request.form, str(exc)), 400
    flash(
        f"Scheduled: “{schedule.name}” runs next on {schedule.next_run_at:%d %b %Y, %H:%M} UTC.",
        "success",
    )
    return redirect(url_for("schedules.index"), code=303)


@bp.get("/schedules/<schedule_id>/edit")
def edit(schedule_id: str):
    schedule = schedule_or_404(schedule_id)
    values = {
        c: getattr(schedule, c)
        for c in ("name", "filter_args", "rrule", "timezone", "only_changed", "recipients")
    }
    return form_page(schedule, schedule.project, values)


@bp.post("/schedules/<schedule_id>")
def update(schedule_id: str):
    schedule = schedule_or_404(schedule_id)
    try:
        service.edit(schedule, asked())
    except ExportRequestError as exc:
        return form_page(schedule, schedule.project, request.form, str(exc)), 400
    flash(f"Saved: “{schedule.name}”.", "success")
    return redirect(url_for("schedules.index"), code=303)


@bp.post("/schedules/<schedule_id>/<any(pause, resume, delete):action>")
def act(schedule_id: str, action: str):
    schedule = schedule_or_404(schedule_id)
    {"pause": service.pause, "resume": service.resume, "delete": service.delete}[action](schedule)
    return redirect(url_for("schedules.index"), code=303)


CUSTOM = "custom"


def asked() -> ScheduleIn:
    """The posted form, checked: a preset's rule, or the custom rule typed beside it."""
    form = request.form
    chosen = form.get("rhythm", "")
    if chosen != CUSTOM and chosen not in rhythm.PRESETS:
        raise ExportRequestError("Choose one of the rhythms offered, or a custom rule.")
    rule = form.get("rrule", "") if chosen == CUSTOM else rhythm.PRESETS[chosen]
    filter_args = {name: form[name] for name in FILTER_FIELDS if form.get(name)}
    return ScheduleIn.checked(
        form.get("name", ""),
        filter_args,
        rule,
        form.get("timezone", ""),
        "only_changed" in form,
        form.get("recipients", ""),
    )


def form_page(schedule, project, values, error: str | None = None) -> str:
    """The form, filled from a schedule's columns or from the form as it was posted."""
    filters = values.get("filter_args") or {name: values.get(name, "") for name in FILTER_FIELDS}
    rule = values.get("rrule", "") or rhythm.PRESETS.get(values.get("rhythm", ""), "")
    preset = next((label for label, text in rhythm.PRESETS.items() if text == rule), CUSTOM)
    fields = {
        "name": values.get("name", ""),
        "rrule": rule,
        "rhythm": preset if rule else next(iter(rhythm.PRESETS)),
        "timezone": values.get("timezone") or DEFAULT_ZONE,
        "only_changed": bool(values.get("only_changed")),
        "recipients": listed(values.get("recipients")),
        **filters,
    }
    return render_template(
        "schedules/form.html",
        schedule=schedule,
        project=project,
        fields=fields,
        error=error,
        presets=rhythm.PRESETS,
        kind_labels=vocabulary.KIND_LABELS,
        status_labels=vocabulary.STATUS_LABELS,
    )


def listed(recipients) -> str:
    """A schedule's addresses (a list) or the form's text, as the form's field shows them."""
    return ", ".join(recipients) if isinstance(recipients, list) else recipients or ""
