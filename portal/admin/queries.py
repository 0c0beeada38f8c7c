"""The exports console's filters, sort and page, parsed from the query string in one place.

As on the records page, a value that makes no sense (an unknown status, a malformed date, a
project from another organisation) is not applied and is reported as such, so a hand-edited
URL still answers a page and never an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import NamedTuple

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import selectinload

from portal.admin.access import admin_exports
from portal.exports import states
from portal.extensions import db
from portal.models import Download, Export, ExportStatus, Project, User
from portal.records.filters import Ignored, _choice, _date, _text
from portal.tenancy import PUBLIC_ID

STATES = tuple(ExportStatus)
SORT_COLUMNS = {
    "created": Export.created_at,
    "finished": Export.finished_at,
    "records": Export.total,
    "size": Export.byte_size,
}
DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class ExportFilter:
    state: str | None = None
    requester: str = ""
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "created"
    direction: str = "desc"
    ignored: tuple[Ignored, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str], reachable: Callable[[str], bool]) -> ExportFilter:
        ignored: list[Ignored] = []
        values = {
            "state": _choice(args, "status", STATES, ignored),
            "requester": _text(args, "requester"),
            "project": _project(args, reachable, ignored),
            "date_from": _date(args, "from", ignored),
            "date_to": _date(args, "to", ignored),
            "sort": _choice(args, "sort", SORT_COLUMNS, ignored) or "created",
            "direction": _choice(args, "dir", DIRECTIONS, ignored) or "desc",
        }
        return cls(**values, ignored=tuple(ignored))

    @property
    def active(self) -> bool:
        return any((self.state, self.requester, self.project, self.date_from, self.date_to))

    def apply(self, stmt: Select) -> Select:
        if self.state:
            stmt = stmt.where(states.is_shown_as(ExportStatus(self.state)))
        if self.requester:
            needle = self.requester
            stmt = stmt.join(User, Export.requested_by_id == User.id).where(
                or_(
                    User.email.icontains(needle, autoescape=True),
                    User.name.icontains(needle, autoescape=True),
                )
            )
        if self.project:
            stmt = stmt.join(Project, Export.project_id == Project.id).where(
                Project.public_id == self.project
            )
        if self.date_from:
            stmt = stmt.where(Export.created_at >= datetime.combine(self.date_from, time.min))
        if self.date_to:
            stmt = stmt.where(Export.created_at <= datetime.combine(self.date_to, time.max))
        return stmt

    def order(self, stmt: Select) -> Select:
        column = SORT_COLUMNS[self.sort]
        ordered = column.asc() if self.direction == "asc" else column.desc()
        tie = Export.id.asc() if self.direction == "asc" else Export.id.desc()
        return stmt.order_by(ordered.nulls_last(), tie)

    def query_args(self, **changes) -> dict[str, str]:
        """The applied filter as URL arguments (defaults left out), for links and forms."""
        applied = replace(self, **changes) if changes else self
        args = {
            "status": applied.state,
            "requester": applied.requester,
            "project": applied.project,
            "from": applied.date_from.isoformat() if applied.date_from else None,
            "to": applied.date_to.isoformat() if applied.date_to else None,
        }
        if (applied.sort, applied.direction) != ("created", "desc"):
            args.update(sort=applied.sort, dir=applied.direction)
        return {name: value for name, value in args.items() if value}


def _project(
    args: Mapping[str, str], reachable: Callable[[str], bool], ignored: list[Ignored]
) -> str | None:
    """Only a project the admin can reach; another organisation's id is simply not applied."""
    raw = (args.get("project") or "").strip()
    if not raw:
        return None
    if PUBLIC_ID.fullmatch(raw) and reachable(raw):
        return raw
    ignored.append(Ignored("project", raw[:40], "not one of your projects"))
    return None


def console_query(export_filter: ExportFilter) -> Select:
    stmt = export_filter.apply(admin_exports())
    stmt = stmt.options(
        selectinload(Export.requested_by).selectinload(User.organization),
        selectinload(Export.project),
    )
    return export_filter.order(stmt)


class Downloads(NamedTuple):
    """Who was handed the file: each Download row is one presigned link a browser was sent
    (S3 does not say whether the transfer finished), so one person who clicked three times
    is one person with three links, and the console shows people."""

    people: int = 0
    links: int = 0


def download_counts(exports: list[Export]) -> defaultdict[int, Downloads]:
    """Downloads per export (none for an export never downloaded), for one page of the
    console in one query."""
    counts: defaultdict[int, Downloads] = defaultdict(Downloads)
    ids = [export.id for export in exports]
    if not ids:
        return counts
    rows = db.session.execute(
        select(Download.export_id, func.count(distinct(Download.user_id)), func.count())
        .where(Download.export_id.in_(ids))
        .group_by(Download.export_id)
    )
    counts.update((export_id, Downloads(people, links)) for export_id, people, links in rows)
    return counts
