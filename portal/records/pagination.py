"""Pages of a query: count first, so a page past the end never reaches the database.

Asking for page 10**9 (or 10**30, which would overflow an SQL OFFSET) answers an empty page
that says how many pages there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from portal.extensions import db


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def past_end(self) -> bool:
        return self.number > self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers for the navigation: first, last and a few around the current page,
        with None where a gap is drawn."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        shown: list[int | None] = []
        for n in numbers:
            if shown and n - shown[-1] > 1:
                shown.append(None)
            shown.append(n)
        return shown


def requested_page(args: Mapping[str, str]) -> int | None:
    """The page number asked for: 1 when absent, None when it is not a positive integer."""
    raw = (args.get("page") or "").strip()
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()):
        return None
    number = (
        int(raw) if len(raw) <= 18 else 10**18
    )  # past any real end; int() of 5,000 digits fails
    return number if number > 0 else None


def paginate(stmt: Select, number: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if Page([], total, number, per_page).past_end:
        return Page([], total, number, per_page)
    items = db.session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(list(items), total, number, per_page)
