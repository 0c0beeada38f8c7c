"""External shares: a completed export sent to people with no Sitepack account, one link per
recipient, each with its own audit; and the organisation's rule on who may receive one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import FormTokenMixin, PublicIdMixin, utcnow
from portal.models.lengths import EMAIL_MAX, SHARE_TOKEN_DIGEST, USER_AGENT_MAX

if TYPE_CHECKING:
    from portal.models.exports import Export
    from portal.models.tenancy import User


class SharingPolicy(db.Model):
    """An organisation's rule for external shares. No row: sharing is on, to any domain."""

    __tablename__ = "sharing_policies"
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # The email domains a share may go to, one a line, lower case; empty: any domain.
    domains: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExportShare(PublicIdMixin, FormTokenMixin, db.Model):
    """One recipient's link to one export. The token in the link is stored only as its
    sha256, so the table leaks no working link; each row is revoked on its own. The first
    row a share form made keeps that form's one-time token (a repeated POST sends nothing)."""

    __tablename__ = "export_shares"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), index=True)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    message: Mapped[str] = mapped_column(Text, default="")
    token_digest: Mapped[str] = mapped_column(String(SHARE_TOKEN_DIGEST), unique=True)
    # argon2 of the passcode sent in a second email; None: the link alone opens it.
    passcode_hash: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # Set once, by the first download: the sharer is told then, and never again.
    first_downloaded_at: Mapped[datetime | None]

    export: Mapped[Export] = relationship()
    shared_by: Mapped[User] = relationship()
    accesses: Mapped[list[ShareAccess]] = relationship(
        order_by="ShareAccess.created_at", cascade="all, delete-orphan"
    )


class ShareAccessKind(StrEnum):
    """What a recipient did: opened the landing page (a GET: a mail scanner may do that too),
    or downloaded a zip (a POST)."""

    OPENED = "opened"
    DOWNLOADED = "downloaded"


class ShareAccess(db.Model):
    """One open or download of a share: when, from where, with what."""

    __tablename__ = "share_accesses"
    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("export_shares.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The zip a download was for.
    part: Mapped[int | None]
    ip_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
