"""Exports and what hangs off them: their records and links, zips, chunks, downloads, events,
and storage reconcile's runs (which check the zips)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import PublicIdMixin, utcnow

if TYPE_CHECKING:
    from portal.models.records import Project
    from portal.models.tenancy import User


class ExportKind(StrEnum):
    """Where an export's zip entries come from: its records, rendered to PDF (a records export
    may also carry links: a handover pack), or only a bundle's URLs, fetched."""

    RECORDS = "records"
    BUNDLE = "bundle"


class ExportStatus(StrEnum):
    """The states an export's row can be in; what each allows lives in portal/exports/states.py.

    A completed export past expires_at is expired already (derived at read time); the sweeper
    writes it later."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ExportKindMixin:
    """`is_bundle`, for `Export` and the status poll's lean row (portal/exports/poll.py), which
    both carry `kind`; how either is named and counted is portal/exports/wording.py's."""

    @property
    def is_bundle(self) -> bool:
        return self.kind == ExportKind.BUNDLE


class Export(PublicIdMixin, ExportKindMixin, db.Model):
    """One bulk export. The row is the truth; RQ's job state is only a cache."""

    __tablename__ = "exports"
    __table_args__ = (
        Index("ix_exports_org_status", "organization_id", "status"),
        # The recovery pass looks for stalled and lost exports every few seconds.
        Index("ix_exports_status_heartbeat", "status", "heartbeat_at"),
        # A live export's first ETA comes from its lane's latest finished exports.
        Index("ix_exports_lane_finished", "queue_name", "finished_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # A bundle may be filed under no project.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # What its items are: records rendered to PDF, or a bundle's URLs fetched (ExportKind).
    kind: Mapped[str] = mapped_column(
        String(20), default=ExportKind.RECORDS, server_default=ExportKind.RECORDS
    )
    reordered_from_id: Mapped[int | None] = mapped_column(ForeignKey("exports.id"))
    # The export whose failed records and links this one exports again (service.redo).
    completes_id: Mapped[int | None] = mapped_column(ForeignKey("exports.id"), index=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    # Hash of requester + record ids + options: finds an identical live export to reuse.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ExportStatus.PENDING)
    queue_name: Mapped[str] = mapped_column(String(40))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    # Of `total` and `warnings`, the links' share (fetched files); the rest are records.
    files: Mapped[int] = mapped_column(default=0, server_default="0")
    files_failed: Mapped[int] = mapped_column(default=0, server_default="0")
    attempt: Mapped[int] = mapped_column(default=0)
    requeues: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    expiring_mail_sent_at: Mapped[datetime | None]
    ready_mail_sent_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]
    # The outbox: the email (a MailKind) this row's state owes, set by the same UPDATE that
    # changed the state and cleared when a mail job takes it; (re)sent from mail_due_at on.
    mail_due: Mapped[str | None] = mapped_column(String(20))
    mail_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # While an automatic retry waits: when it runs, and which try of how many it will be.
    next_try_at: Mapped[datetime | None]
    next_try_number: Mapped[int | None]
    max_tries: Mapped[int | None]
    # The zips' total; each zip (its key, size and checksum) is an ExportPart.
    byte_size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # Why an admin withdrew the export, shown to the requester on its page.
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # Records this attempt found in the render cache: the admin's cache hit rate reads it.
    cache_hits: Mapped[int] = mapped_column(default=0)
    # Set when an attempt takes over or fails: the unfinished multipart uploads of attempts
    # numbered below it are still to be aborted; cleared once they are (exports.leftovers).
    abort_uploads_below: Mapped[int | None] = mapped_column(index=True)

    project: Mapped[Project | None] = relationship()
    requested_by: Mapped[User] = relationship()
    completes: Mapped[Export | None] = relationship(remote_side=[id], foreign_keys=[completes_id])
    items: Mapped[list[ExportItem]] = relationship(cascade="all, delete-orphan")
    links: Mapped[list[ExportLink]] = relationship(
        order_by="ExportLink.position", cascade="all, delete-orphan"
    )
    # The zips of the attempt that completed, in order; written with the completion.
    parts: Mapped[list[ExportPart]] = relationship(
        order_by="ExportPart.number", cascade="all, delete-orphan"
    )

    @property
    def object_keys(self) -> list[str]:
        return [part.object_key for part in self.parts]


class ExportPart(db.Model):
    """One zip of a completed export: an export past EXPORT_PART_BYTES is split into several
    so that every unzip tool opens each; most exports have exactly one, number 1."""

    __tablename__ = "export_parts"
    __table_args__ = (UniqueConstraint("export_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"))
    number: Mapped[int]  # 1..N
    object_key: Mapped[str] = mapped_column(String(500))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # the Verify page looks zips up
    # The records this zip holds (their PDFs, or their lines in ERRORS.txt).
    records: Mapped[int] = mapped_column(default=0)


class ExportLink(db.Model):
    """One URL of a bundle, in the order given, with the name the caller asked for, if any."""

    __tablename__ = "export_links"
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    # Why the latest attempt got no file from it (the page and the failure email list these).
    error: Mapped[str | None] = mapped_column(Text)


class ExportItem(db.Model):
    """The snapshot of selected record ids, taken when the export was requested."""

    __tablename__ = "export_items"
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    # Its place in the request (the "selection order" an export may be asked in); null on
    # exports requested before it was kept.
    position: Mapped[int | None]
    # What the completing attempt put in the zip: the record's version and its PDF's render
    # cache entry (re-order compares and reuses them), or why it has no PDF (redo reads it).
    # An export "as they were" is requested with the fingerprints of its earlier export set.
    version: Mapped[int | None]
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)


class ChunkStatus(StrEnum):
    """A chunk is queued until a worker claims it, running while that worker beats, done when
    its records are in the render cache. A running chunk whose beat went stale may be
    claimed again (its worker died)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class ExportChunk(db.Model):
    """A slice of one attempt's records still to be rendered, which any worker may take.

    Chunks belong to the attempt that planned them; a new attempt plans its own, so a chunk
    of a superseded attempt can never count towards the new one."""

    __tablename__ = "export_chunks"
    __table_args__ = (UniqueConstraint("export_id", "attempt", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), index=True)
    attempt: Mapped[int]
    number: Mapped[int]
    record_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=ChunkStatus.QUEUED)
    # Who runs it now: a fresh token per claim fences off a worker presumed dead.
    claim: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None]
    # Records of this chunk counted in the export's `done` so far (undone on a takeover).
    done: Mapped[int] = mapped_column(default=0)
    # {record id: why it could not be rendered}, for the zip's ERRORS.txt.
    errors: Mapped[dict] = mapped_column(JSON, default=dict)


class Download(db.Model):
    __tablename__ = "downloads"
    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ip_address: Mapped[str] = mapped_column(String(64))
    # Which zip of the export the link was for.
    part: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportEvent(db.Model):
    """The export's timeline and audit log: what happened, when, and who did it."""

    __tablename__ = "export_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The person who acted; empty for what the system did on its own.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class ReconcileRun(db.Model):
    """One `flask storage reconcile`: what it found, so the admin queue page can show it."""

    __tablename__ = "reconcile_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A dry run counts what it would fix and changes nothing.
    dry_run: Mapped[bool] = mapped_column(default=False)
    stray_objects: Mapped[int] = mapped_column(default=0)
    missing_objects: Mapped[int] = mapped_column(default=0)
    stale_uploads: Mapped[int] = mapped_column(default=0)
    # Why a check was skipped (an endpoint without the multipart-listing API), else empty.
    note: Mapped[str] = mapped_column(Text, default="")
