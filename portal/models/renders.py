"""The render cache's index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.lengths import RECORD_REFERENCE_MAX


class RenderedPdf(db.Model):
    """The render cache's index: one record's PDF, stored once under keys.rendered_pdf.

    The fingerprint covers everything the PDF shows (record version, photos, template,
    paper), so a changed record or template simply makes a new entry. `sha256` is what the
    object must hash to: an object that does not is ignored and rendered again."""

    __tablename__ = "rendered_pdfs"
    __table_args__ = (UniqueConstraint("organization_id", "fingerprint"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IssuedPdf(db.Model):
    """A record PDF Sitepack made, by its sha256: what the Verify page answers from. Kept for
    good (the render cache's index ages out with its objects; a handover pack is checked
    years later), and written once per distinct PDF by the render that made it. The
    reference is copied, so a PDF of a record deleted since still verifies."""

    __tablename__ = "issued_pdfs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    record_id: Mapped[int] = mapped_column(index=True)
    reference: Mapped[str] = mapped_column(String(RECORD_REFERENCE_MAX))
    version: Mapped[int]
    code: Mapped[str] = mapped_column(String(16), index=True)
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)
