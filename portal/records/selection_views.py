"""Changing a user's selection. Every change is a POST, answered with a fragment for htmx, or
without JavaScript with a 303 back to the same page of the table.

Record ids arrive as public ids and pass through the project's tenant scope on their way into
the INSERT ... SELECT, so another project's or organisation's id can never be inserted.
"""

from collections.abc import Callable

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from portal.exports.access import export_or_404
from portal.extensions import db
from portal.models import ExportItem, Project, Record
from portal.records import queries, selection
from portal.records.blueprint import bp
from portal.records.filters import RecordFilter
from portal.records.listing import (
    requested_table_args,
    results_context,
    selection_counts,
    wants_fragment,
)
from portal.tenancy import MAX_IDS_PER_REQUEST, PUBLIC_ID, get_or_404


@bp.post("/projects/<project_id>/records/<record_id>/selection")
def select_one(project_id: str, record_id: str):
    """A row's checkbox. Its form sends every ticked box, so the request carries the box's
    state rather than a flip: a double click or a retried request cannot invert it."""
    project = get_or_404(Project, project_id)
    record = queries.record_or_404(project, record_id)
    this_record = select(Record.id).where(Record.id == record.id)
    ticked = record.public_id in request.form.getlist("record")
    change = selection.add if ticked else selection.remove
    _commit(lambda: change(current_user.id, project.id, this_record))
    if not wants_fragment():
        return _back_to_table(project)
    return render_template(
        "records/_selection_status.html",
        project=project,
        list_args=requested_table_args(),
        **selection_counts(project, RecordFilter.from_args(request.args)),
    )


@bp.post("/projects/<project_id>/selection/page")
def save_page(project_id: str):
    """Without JavaScript the ticks are sent together: the rows shown take the ticked state."""
    project = get_or_404(Project, project_id)
    shown = queries.record_ids(project, _public_ids("shown"))
    ticked = queries.record_ids(project, _public_ids("record")).where(Record.id.in_(shown))

    def change():
        selection.remove(current_user.id, project.id, shown)
        selection.add(current_user.id, project.id, ticked)

    _commit(change)
    return _answer_results(project)


@bp.post("/projects/<project_id>/selection/page/all")
def select_page(project_id: str):
    project = get_or_404(Project, project_id)
    shown = queries.record_ids(project, _public_ids("shown"))
    _commit(lambda: selection.add(current_user.id, project.id, shown))
    return _answer_results(project)


@bp.post("/projects/<project_id>/selection/matching")
def select_matching(project_id: str):
    """ "Select all N matching": the filter travels in the query string, never as ids."""
    return _change_matching(project_id, selection.add)


@bp.post("/projects/<project_id>/selection/matching/only")
def keep_matching(project_id: str):
    """ "Only these N": the picks made under other filters, hidden from this one, go."""
    return _change_matching(project_id, selection.keep_only)


@bp.post("/projects/<project_id>/selection/export/<export_id>")
def select_export_again(project_id: str, export_id: str):
    """ "Select these N again": an export's records become the selection of its project once
    more (asking for the export cleared it), replacing whatever was selected since."""
    project = get_or_404(Project, project_id)
    export = export_or_404(export_id)
    if export.project_id != project.id:
        abort(404)
    exported = select(ExportItem.record_id).where(ExportItem.export_id == export.id)
    records = queries.project_records(project).where(Record.id.in_(exported))
    _commit(lambda: selection.replace(current_user.id, project.id, records))
    return redirect(url_for("records.index", project_id=project.public_id), 303)


@bp.post("/projects/<project_id>/selection/clear")
def clear_selection(project_id: str):
    project = get_or_404(Project, project_id)
    _commit(lambda: selection.clear(current_user.id, project.id))
    return _answer_results(project)


def _change_matching(project_id: str, change: Callable[[int, int, Select], object]):
    """Apply `change` to the selection with the project's records that the filter in the
    query string matches."""
    project = get_or_404(Project, project_id)
    matching = RecordFilter.from_args(request.args).apply(queries.project_records(project))
    _commit(lambda: change(current_user.id, project.id, matching))
    return _answer_results(project)


def _commit(change: Callable[[], object]) -> None:
    """Two tabs adding the same rows at once can collide on the primary key; the retry runs
    after the other request committed, so its rows are skipped."""
    try:
        change()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        change()
        db.session.commit()


def _public_ids(field: str) -> list[str]:
    """Well-formed public ids from a form field; malformed ones match no record anyway."""
    values = request.form.getlist(field)
    if len(values) > MAX_IDS_PER_REQUEST:
        abort(400, f"Too many records in one request (at most {MAX_IDS_PER_REQUEST:,}).")
    return [value for value in values if PUBLIC_ID.fullmatch(value)]


def _answer_results(project: Project):
    if wants_fragment():
        return render_template("records/_results.html", **results_context(project))
    return _back_to_table(project)


def _back_to_table(project: Project):
    target = url_for("records.index", project_id=project.public_id, **requested_table_args())
    return redirect(target, 303)
