"""What the results region of the records page shows, built from the query string.

The page, its htmx fragment and every selection answer render the same region, so they all
build it here from the same arguments.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from portal.exports.estimate import estimate
from portal.exports.options import ExportOptions
from portal.models import Project
from portal.records import pagination, queries, selection
from portal.records.filters import Ignored, RecordFilter


def results_context(project: Project) -> dict:
    record_filter = RecordFilter.from_args(request.args)
    number = pagination.requested_page(request.args)
    ignored = list(record_filter.ignored)
    if number is None:
        ignored.append(Ignored("page", request.args["page"][:40], "not a page number"))
        number = 1
    matching = record_filter.apply(queries.project_records(project))
    page = pagination.paginate(
        record_filter.order(matching), number, current_app.config["RECORDS_PER_PAGE"]
    )
    checked = selection.selected_among(
        current_user.id, project.id, [record.id for record in page.items]
    )
    return {
        "project": project,
        "filter": record_filter,
        "ignored": ignored,
        "page": page,
        "checked": checked,
        "list_args": table_args(record_filter, None if page.past_end else page.number),
        **selection_counts(project, record_filter),
    }


def selection_counts(project: Project, record_filter: RecordFilter) -> dict:
    """The selection bar's figures: everything selected (all of it is exported), how many
    of those this filter shows (the rest were picked earlier, under another filter), and
    what exporting it would make, as one PDF per record."""
    selected = selection.count_selected(current_user.id, project.id)
    picked = selection.selected_record_ids(current_user.id, project.id)
    figures = {
        "selected_count": selected,
        "estimate": estimate(project.organization_id, picked, ExportOptions()),
    }
    if not record_filter.active:
        return figures | {"selected_matching": selected}
    matching = record_filter.apply(queries.project_records(project))
    shown = selection.count_selected_in(current_user.id, project.id, matching)
    return figures | {"selected_matching": shown}


def table_args(record_filter: RecordFilter, number: int | None) -> dict[str, str]:
    """The URL arguments that reproduce this view of the table (only valid ones)."""
    args = record_filter.query_args()
    if number and number > 1:
        args["page"] = str(number)
    return args


def requested_table_args() -> dict[str, str]:
    return table_args(RecordFilter.from_args(request.args), pagination.requested_page(request.args))


def wants_fragment() -> bool:
    """htmx asked for the results region alone; a history restore (back/forward with an
    empty cache) needs the whole page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )
