"""What the results region of the records page shows, built from the query string.

The page, its htmx fragment and every selection answer render the same region, so they all
build it here from the same arguments. The region shows one project's records or, on the
organisation-wide page, every project's: a `Scope` says which, and builds its URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import Select

from portal.exports.estimate import estimate
from portal.exports.options import ExportOptions
from portal.models import Project, Record
from portal.records import pagination, queries, selection
from portal.records.filters import Ignored, RecordFilter
from portal.tenancy import get_or_404

# The organisation-wide routes are named as the project's are, with this in front.
EVERYWHERE = "all_"


@dataclass(frozen=True)
class Scope:
    """The records a table shows: one project's, or (project None) the organisation's."""

    project: Project | None

    @property
    def project_id(self) -> int | None:
        return self.project.id if self.project else None

    @property
    def name(self) -> str:
        return self.project.name if self.project else current_user.organization.name

    def records(self) -> Select:
        if self.project is None:
            return queries.organisation_records()
        return queries.project_records(self.project)

    def record_ids(self, public_ids: list[str]) -> Select:
        """SELECT the ids of those public ids that are this table's records; others drop out."""
        return self.records().where(Record.public_id.in_(public_ids)).with_only_columns(Record.id)

    def record_or_404(self, public_id: str) -> Record:
        """One of this table's records; any other id (another organisation's) answers 404."""
        if self.project is None:
            return get_or_404(Record, public_id)
        return queries.record_or_404(self.project, public_id)

    def url(self, endpoint: str, **args) -> str:
        """The URL of this table's records route `endpoint` ("index", "select_page", ...)."""
        if self.project is None:
            return url_for(f"records.{EVERYWHERE}{endpoint}", **args)
        return url_for(f"records.{endpoint}", project_id=self.project.public_id, **args)


def results_context(scope: Scope) -> dict:
    record_filter = RecordFilter.from_args(request.args)
    number = pagination.requested_page(request.args)
    ignored = list(record_filter.ignored)
    if number is None:
        ignored.append(Ignored("page", request.args["page"][:40], "not a page number"))
        number = 1
    matching = record_filter.apply(scope.records())
    page = pagination.paginate(
        record_filter.order(matching), number, current_app.config["RECORDS_PER_PAGE"]
    )
    checked = selection.selected_among(
        current_user.id, scope.project_id, [record.id for record in page.items]
    )
    return {
        "scope": scope,
        "project": scope.project,
        "filter": record_filter,
        "ignored": ignored,
        "page": page,
        "checked": checked,
        "list_args": table_args(record_filter, None if page.past_end else page.number),
        **selection_counts(scope, record_filter),
    }


def selection_counts(scope: Scope, record_filter: RecordFilter) -> dict:
    """The selection bar's figures: everything selected (all of it is exported), how many
    of those this filter shows (the rest were picked earlier, under another filter), and
    what exporting it would make, as one PDF per record."""
    selected = selection.count_selected(current_user.id, scope.project_id)
    picked = selection.selected_record_ids(current_user.id, scope.project_id)
    figures = {
        "selected_count": selected,
        "estimate": estimate(current_user.organization_id, picked, ExportOptions()),
    }
    if not record_filter.active:
        return figures | {"selected_matching": selected}
    matching = record_filter.apply(scope.records())
    shown = selection.count_selected_in(current_user.id, scope.project_id, matching)
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
