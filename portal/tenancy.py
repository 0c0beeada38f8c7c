"""Tenant scoping: every lookup of a tenant's row goes through here.

Another organisation's id answers 404, exactly like an id that does not exist.
"""

import re
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from portal.extensions import db
from portal.models.lengths import PUBLIC_ID_MAX

M = TypeVar("M")
# The shortest id a lookup accepts (new_public_id() makes 16 characters); the longest is
# the column's.
PUBLIC_ID_MIN = 8
PUBLIC_ID = re.compile(rf"[A-Za-z0-9_-]{{{PUBLIC_ID_MIN},{PUBLIC_ID_MAX}}}")
# A page of the records table posts its own rows, so no form lists more ids than this; a
# bigger selection travels as "all matching", held on the server (selected_records).
MAX_IDS_PER_REQUEST = 1000


def scoped(model: type[M]) -> Select:
    """SELECT model rows belonging to the current user's organisation."""
    return select(model).where(model.organization_id == current_user.organization_id)


def get_or_404(model: type[M], public_id: str) -> M:
    # Only the url-safe alphabet of new_public_id(): a NUL byte would make PostgreSQL raise.
    if not isinstance(public_id, str) or not PUBLIC_ID.fullmatch(public_id):
        abort(404)
    row = db.session.scalar(scoped(model).where(model.public_id == public_id))
    if row is None:
        abort(404)
    return row


def visible_to_user(model: type[M], owner_column) -> Select:
    """SELECT the rows of `model` the current user sees: their own (by `owner_column`), or
    every one of their organisation's for an admin."""
    query = scoped(model)
    if not current_user.is_admin:
        query = query.where(owner_column == current_user.id)
    return query


def own_or_404(model: type[M], public_id: str, owner_id: str) -> M:
    """A row of the organisation that is the current user's (its `owner_id` attribute), or
    any of its rows for an admin; another member's answers 404, like a missing one."""
    row = get_or_404(model, public_id)
    if getattr(row, owner_id) != current_user.id and not current_user.is_admin:
        abort(404)
    return row
