"""Cursor pagination: a page ends where the next begins, whatever rows arrive meanwhile.

The cursor is opaque to clients (base64 of the last row's id); a page asks for one row more
than it shows to know whether there is a next page, so no count is ever needed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from flask import abort
from sqlalchemy import Select

from portal.extensions import db

PREFIX = "after:"
# Row ids are INTEGER columns: PostgreSQL refuses to compare one with anything larger.
LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The id a cursor continues after; a cursor this API did not make is a 422."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(PREFIX)
    made_here = text.startswith(PREFIX) and number.isascii() and number.isdigit()
    if not made_here or len(number) > len(str(LARGEST_ID)) or int(number) > LARGEST_ID:
        abort(422, "`cursor` is not one this API gave out: use the `next` link of a page.")
    return int(number)


def paginate(stmt: Select, id_column, cursor: str | None, limit: int, newest_first: bool) -> Page:
    """One page of `stmt` ordered by `id_column` (descending when `newest_first`)."""
    if cursor is not None:
        last = decode(cursor)
        stmt = stmt.where(id_column < last if newest_first else id_column > last)
    ordered = stmt.order_by(id_column.desc() if newest_first else id_column.asc())
    rows = list(db.session.scalars(ordered.limit(limit + 1)))
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items, encode(items[-1].id) if more else None)
