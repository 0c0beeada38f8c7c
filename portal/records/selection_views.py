"""Changing a user's selection. Every change is a POST, answered with a fragment for htmx, or
without JavaScript with a 303 back to the same page of the table.

Record ids arrive as public ids and pass through the table's tenant scope (a project's, or
the organisation's on the organisation-wide page) on their way into the INSERT ... SELECT, so
another project's or organisation's id can never be inserted. Each route exists twice: under
a project, and organisation-wide (`listing.EVERYWHERE` in front of its name).
"""

from collections.abc import Callable

from flask import abort, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from portal.exports.access import export_or_404
from portal.extensions import db
from portal.models import ExportItem, Project, Record
from portal.records import selection
from portal.records.blueprint import bp
from portal.records.filters import RecordFilter
from portal.records.listing import (
    EVERYWHERE,
    Scope,
    requested_table_args,
    results_context,
    selection_counts,
    wants_fragment,
)
from portal.tenancy import MAX_IDS_PER_REQUEST, PUBLIC_ID, get_or_404


def both(rule: str, endpoint: str):
    """Registers a view taking a Scope as the project's route and the organisation-wide one."""

    def register(view: Callable):
        def in_project(project_id: str, **args):
            return view(Scope(get_or_404(Project, project_id)), **args)

        def everywhere(**args):
            return view(Scope(None), **args)

        bp.add_url_rule(f"/projects/<project_id>{rule}", endpoint, in_project, methods=["POST"])
        bp.add_url_rule(rule, EVERYWHERE + endpoint, everywhere, methods=["POST"])
        return view

    return register


@both("/records/<record_id>/selection", "select_one")
def select_one(scope: Scope, record_id: str):
    """A row's checkbox. Its form sends every ticked box, so the request carries the box's
    state rather than a flip: a double click or a retried request cannot invert it."""
    record = scope.record_or_404(record_id)
    this_record = select(Record.id).where(Record.id == record.id)
    ticked = record.public_id in request.form.getlist("record")
    change = selection.add if ticked else selection.remove
    _commit(lambda: change(current_user.id, scope.project_id, this_record))
    if not wants_fragment():
        return _back_to_table(scope)
    return render_template(
        "records/_selection_status.html",
        scope=scope,
        list_args=requested_table_args(),
        **selection_counts(scope, RecordFilter.from_args(request.args)),
    )


@both("/selection/page", "save_page")
def save_page(scope: Scope):
    """Without JavaScript the ticks are sent together: the rows shown take the ticked state."""
    shown = scope.record_ids(_public_ids("shown"))
    ticked = scope.record_ids(_public_ids("record")).where(Record.id.in_(shown))

    def change():
        selection.remove(current_user.id, scope.project_id, shown)
        selection.add(current_user.id, scope.project_id, ticked)

    _commit(change)
    return _answer_results(scope)


@both("/selection/page/all", "select_page")
def select_page(scope: Scope):
    shown = scope.record_ids(_public_ids("shown"))
    _commit(lambda: selection.add(current_user.id, scope.project_id, shown))
    return _answer_results(scope)


@both("/selection/matching", "select_matching")
def select_matching(scope: Scope):
    """ "Select all N matching": the filter travels in the query string, never as ids."""
    return _change_matching(scope, selection.add)


@both("/selection/matching/only", "keep_matching")
def keep_matching(scope: Scope):
    """ "Only these N": the picks made under other filters, hidden from this one, go."""
    return _change_matching(scope, selection.keep_only)


@both("/selection/export/<export_id>", "select_export_again")
def select_export_again(scope: Scope, export_id: str):
    """ "Select these N again": an export's records become the selection of its project (or,
    for an export across projects, of the organisation-wide page) once more (asking for the
    export cleared it), replacing whatever was selected since."""
    export = export_or_404(export_id)
    if export.project_id != scope.project_id:
        abort(404)
    exported = select(ExportItem.record_id).where(ExportItem.export_id == export.id)
    records = scope.records().where(Record.id.in_(exported))
    _commit(lambda: selection.replace(current_user.id, scope.project_id, records))
    return redirect(scope.url("index"), 303)


@both("/selection/clear", "clear_selection")
def clear_selection(scope: Scope):
    _commit(lambda: selection.clear(current_user.id, scope.project_id))
    return _answer_results(scope)


def _change_matching(scope: Scope, change: Callable[[int, int | None, Select], object]):
    """Apply `change` to the selection with the table's records that the filter in the
    query string matches."""
    matching = RecordFilter.from_args(request.args).apply(scope.records())
    _commit(lambda: change(current_user.id, scope.project_id, matching))
    return _answer_results(scope)


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


def _answer_results(scope: Scope):
    if wants_fragment():
        return render_template("records/_results.html", **results_context(scope))
    return _back_to_table(scope)


def _back_to_table(scope: Scope):
    return redirect(scope.url("index", **requested_table_args()), 303)
