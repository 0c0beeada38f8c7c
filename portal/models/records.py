"""Projects and their records: inspections, issues, tasks and NCRs, with checklists and photos."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import PublicIdMixin, utcnow
from portal.models.lengths import (
    CHECK_LABEL_MAX,
    DISPOSITION_MAX,
    PERSON_NAME_MAX,
    PHOTO_CAPTION_MAX,
    RECORD_ASSIGNEE_MAX,
    RECORD_LOCATION_MAX,
    RECORD_REFERENCE_MAX,
    RECORD_TITLE_MAX,
    RECORD_TRADE_MAX,
    SIGN_OFF_ROLE_MAX,
)


class Project(PublicIdMixin, db.Model):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Record(PublicIdMixin, db.Model):
    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("project_id", "reference"),
        Index("ix_records_project_kind_status", "project_id", "kind", "status"),
        Index("ix_records_project_created", "project_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(RECORD_REFERENCE_MAX))
    title: Mapped[str] = mapped_column(String(RECORD_TITLE_MAX))
    status: Mapped[str] = mapped_column(String(20), default="open")
    location: Mapped[str] = mapped_column(String(RECORD_LOCATION_MAX), default="")
    trade: Mapped[str] = mapped_column(String(RECORD_TRADE_MAX), default="")
    assignee: Mapped[str] = mapped_column(String(RECORD_ASSIGNEE_MAX), default="")
    due_date: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Who raised it, who closed it and when: shown in the PDF's details.
    raised_by: Mapped[str] = mapped_column(String(PERSON_NAME_MAX), default="", server_default="")
    closed_by: Mapped[str] = mapped_column(String(PERSON_NAME_MAX), default="", server_default="")
    closed_at: Mapped[datetime | None]
    # An NCR's findings (empty for other kinds); disposition is one of NCR_DISPOSITIONS or "".
    root_cause: Mapped[str] = mapped_column(Text, default="", server_default="")
    disposition: Mapped[str] = mapped_column(String(DISPOSITION_MAX), default="", server_default="")
    corrective_action: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The sign-off block: whoever signed, and the digest naming their signature's PNG object
    # (keys.signature); without one the PDF leaves lines to sign by hand.
    sign_off_name: Mapped[str] = mapped_column(
        String(PERSON_NAME_MAX), default="", server_default=""
    )
    sign_off_role: Mapped[str] = mapped_column(
        String(SIGN_OFF_ROLE_MAX), default="", server_default=""
    )
    sign_off_date: Mapped[date | None]
    signature_sha256: Mapped[str | None] = mapped_column(String(64))

    project: Mapped[Project] = relationship()
    checklist: Mapped[list[ChecklistItem]] = relationship(
        order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(CHECK_LABEL_MAX))
    result: Mapped[str] = mapped_column(String(10))  # one of vocabulary.CHECK_RESULTS
    comment: Mapped[str] = mapped_column(Text, default="")


class Attachment(PublicIdMixin, db.Model):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(500))
    # Report-size JPEG made once at ingest, so exports never resize photos.
    rendition_key: Mapped[str | None] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(String(PHOTO_CAPTION_MAX), default="")
    # When the camera says it was taken (EXIF DateTimeOriginal, its own clock, read once at
    # ingest; None when the file has none) and who took it.
    taken_at: Mapped[datetime | None]
    taken_by: Mapped[str] = mapped_column(String(PERSON_NAME_MAX), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SelectedRecord(db.Model):
    """A user's server-side selection on one project: one row per ticked record.

    Selecting "all N matching" is a single INSERT ... SELECT, so the browser never carries
    a list of ids and 10,000 records cost the same request as 10.
    """

    __tablename__ = "selected_records"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
