"""What every model shares: naive-UTC timestamps and the random public id of rows that
appear in URLs (so ids can't be guessed or counted, and another tenant's id is
indistinguishable from one that does not exist)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.lengths import PUBLIC_ID_MAX


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """16 url-safe characters, 96 bits: unguessable and short enough for a URL."""
    return secrets.token_urlsafe(12)


class PublicIdMixin:
    public_id: Mapped[str] = mapped_column(
        String(PUBLIC_ID_MAX), unique=True, default=new_public_id
    )


class FormTokenMixin:
    """The one-time token of the form that created the row (portal/formtokens.py): the form
    shows a secret once, and a repeated POST of it finds this row instead of making another."""

    form_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
