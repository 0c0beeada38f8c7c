"""API keys and the Idempotency-Keys sent with them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import FormTokenMixin, PublicIdMixin, utcnow
from portal.models.lengths import API_KEY_NAME_MAX
from portal.models.tenancy import User


class KeyScope(StrEnum):
    """What an API key may do; portal/api/auth.py says which requests each scope allows."""

    READ = "read"
    EXPORT = "export"


class ApiKey(PublicIdMixin, FormTokenMixin, db.Model):
    """A member's personal key for /api/v1: it acts as its user, in their organisation.

    Only a hash of the secret is stored (portal/api/keys.py); `prefix`, the secret's first
    characters, finds the row and lets people tell their keys apart."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(API_KEY_NAME_MAX))
    scope: Mapped[str] = mapped_column(String(20))  # a KeyScope
    prefix: Mapped[str] = mapped_column(String(20), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class IdempotentRequest(db.Model):
    """An `Idempotency-Key` a user sent with POST /api/v1/exports, and the export it made.

    Written in the transaction that accepts the export, so the unique constraint lets one
    of two concurrent requests with the same key win; the other answers with its export."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 of the request's validated body: the same key with another body is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
