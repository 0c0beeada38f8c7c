"""Which records a user asked for, parsed from the query string in one place.

The records page, its selection buttons and the export request all read the same arguments,
so they share this parser: "select all matching" and "export what I filtered" cannot drift
apart. A value that makes no sense is not applied (and reported as such) rather than refused,
so an old bookmark or a hand-edited URL still shows a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import NamedTuple

from sqlalchemy import Select, case, or_, select

from portal import vocabulary
from portal.models import Project, Record
from portal.tenancy import PUBLIC_ID
from portal.vocabulary import RECORD_KINDS, RECORD_STATUSES

MAX_QUERY_LENGTH = 100
DEFAULT_SORT = "created"
DEFAULT_DIRECTION = "desc"
DIRECTIONS = ("asc", "desc")

# Workflow order reads better than the alphabet (closed, in_progress, open).
_STATUS_ORDER = case(
    {status: position for position, status in enumerate(RECORD_STATUSES)},
    value=Record.status,
    else_=len(RECORD_STATUSES),
)
SORT_COLUMNS = {
    "reference": Record.reference,
    "title": Record.title,
    "created": Record.created_at,
    "due": Record.due_date,
    "status": _STATUS_ORDER,
}


class Ignored(NamedTuple):
    """A query argument that was given but not applied, and why."""

    param: str
    value: str
    reason: str


@dataclass(frozen=True)
class RecordFilter:
    kind: str | None = None
    status: str | None = None
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = DEFAULT_SORT
    direction: str = DEFAULT_DIRECTION
    # A project's public id: the organisation-wide page narrowed to one project. It only
    # narrows a query the caller already scoped to the organisation, so another
    # organisation's project id matches nothing.
    project: str | None = None
    ignored: tuple[Ignored, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RecordFilter:
        ignored: list[Ignored] = []
        values = {
            "kind": _choice(args, "kind", RECORD_KINDS, ignored),
            "status": _choice(args, "status", RECORD_STATUSES, ignored),
            "q": _text(args, "q"),
            "date_from": _date(args, "from", ignored),
            "date_to": _date(args, "to", ignored),
            "sort": _choice(args, "sort", SORT_COLUMNS, ignored) or DEFAULT_SORT,
            "direction": _choice(args, "dir", DIRECTIONS, ignored) or DEFAULT_DIRECTION,
            "project": _project(args, ignored),
        }
        return cls(**values, ignored=tuple(ignored))

    @property
    def active(self) -> bool:
        """True when any filter (not just the sort) narrows the records."""
        return any((self.kind, self.status, self.q, self.date_from, self.date_to, self.project))

    def described(self) -> str:
        """The filter in words, for an export's index: "Issue · Open · “slab” · created
        2026-01-01 to 2026-06-30", or "all records"."""
        ends = [d.isoformat() if d else "…" for d in (self.date_from, self.date_to)]
        created = " to ".join(ends) if self.date_from or self.date_to else ""
        words = (
            vocabulary.kind_label(self.kind) if self.kind else "",
            vocabulary.status_label(self.status) if self.status else "",
            f"“{self.q}”" if self.q else "",
            f"created {created}" if created else "",
        )
        return " · ".join(word for word in words if word) or "all records"

    def apply(self, stmt: Select) -> Select:
        """Narrow a select over Record to the records this filter matches."""
        if self.kind:
            stmt = stmt.where(Record.kind == self.kind)
        if self.status:
            stmt = stmt.where(Record.status == self.status)
        if self.q:
            stmt = stmt.where(
                or_(
                    Record.reference.icontains(self.q, autoescape=True),
                    Record.title.icontains(self.q, autoescape=True),
                )
            )
        if self.date_from:
            stmt = stmt.where(Record.created_at >= datetime.combine(self.date_from, time.min))
        if self.date_to:
            stmt = stmt.where(Record.created_at <= datetime.combine(self.date_to, time.max))
        if self.project:
            chosen = select(Project.id).where(Project.public_id == self.project)
            stmt = stmt.where(Record.project_id.in_(chosen))
        return stmt

    def order(self, stmt: Select) -> Select:
        """Sort by the chosen column; the id breaks ties so pages never overlap."""
        column = SORT_COLUMNS[self.sort]
        ordered = column.asc() if self.direction == "asc" else column.desc()
        if self.sort == "due":
            ordered = ordered.nulls_last()
        tie = Record.id.asc() if self.direction == "asc" else Record.id.desc()
        return stmt.order_by(ordered, tie)

    def query_args(self, **changes) -> dict[str, str]:
        """The applied filter as URL arguments (defaults left out), for links and forms."""
        applied = replace(self, **changes) if changes else self
        args = {
            "kind": applied.kind,
            "status": applied.status,
            "q": applied.q,
            "from": applied.date_from.isoformat() if applied.date_from else None,
            "to": applied.date_to.isoformat() if applied.date_to else None,
            "project": applied.project,
        }
        if (applied.sort, applied.direction) != (DEFAULT_SORT, DEFAULT_DIRECTION):
            args.update(sort=applied.sort, dir=applied.direction)
        return {name: value for name, value in args.items() if value}


def _choice(args: Mapping[str, str], name: str, allowed, ignored: list[Ignored]) -> str | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if raw in allowed:
        return raw
    ignored.append(Ignored(name, raw[:40], f"not one of {', '.join(allowed)}"))
    return None


def _text(args: Mapping[str, str], name: str) -> str:
    return clean_text(args.get(name) or "")


def clean_text(raw: str) -> str:
    """Free text as typed, minus NUL bytes (PostgreSQL refuses them in a string)."""
    return raw.replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


def _project(args: Mapping[str, str], ignored: list[Ignored]) -> str | None:
    raw = (args.get("project") or "").strip()
    if raw and not PUBLIC_ID.fullmatch(raw):
        ignored.append(Ignored("project", raw[:40], "not a project id"))
        return None
    return raw or None


def _date(args: Mapping[str, str], name: str, ignored: list[Ignored]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        ignored.append(Ignored(name, raw[:40], "not a date (use YYYY-MM-DD)"))
        return None
