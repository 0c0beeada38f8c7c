"""Organisations and their people: every other row belongs to an organisation."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import vocabulary
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.lengths import ACCENT_COLOUR_MAX, EMAIL_MAX, PERSON_NAME_MAX, REPORT_FOOTER_MAX


class Organization(db.Model):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Branding (portal/branding.py reads it): the stored logo PNG's sha256, which names its
    # object; an accent colour as #rrggbb; one line under every record PDF. None/"": the default.
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    accent_colour: Mapped[str | None] = mapped_column(String(ACCENT_COLOUR_MAX))
    report_footer: Mapped[str] = mapped_column(
        String(REPORT_FOOTER_MAX), default="", server_default=""
    )
    # Handover output (portal/exports/options.py's PdfPolicy reads them): record PDFs archival
    # unless an export asks otherwise (None: the deployment's PDF_ARCHIVAL), and whether its
    # exports' index and combined PDF may be signed with its certificate (and are by default).
    pdf_archival: Mapped[bool | None] = mapped_column()
    sign_exports: Mapped[bool] = mapped_column(default=False, server_default=false())


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="member")
    # Sitepack's own operators: they see every organisation's exports in the admin pages.
    is_staff: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Removed from the organisation by an admin (portal/organisation/members.py): no login,
    # no session, no API key works from then on; the row stays for the exports it requested.
    deactivated_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    @property
    def is_admin(self) -> bool:
        return vocabulary.is_admin(self.role)
