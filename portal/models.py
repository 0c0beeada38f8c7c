"""The data model: organisations own everything, and every query is scoped by organisation.

Rows that appear in URLs carry a random `public_id`, so ids can't be guessed or counted and
another tenant's id is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import vocabulary
from portal.extensions import db


class KeyScope(StrEnum):
    """What an API key may do; portal/api/auth.py says which requests each scope allows."""

    READ = "read"
    EXPORT = "export"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id() -> str:
    """16 url-safe characters, 96 bits: unguessable and short enough for a URL."""
    return secrets.token_urlsafe(12)


class PublicIdMixin:
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)


class FormTokenMixin:
    """The one-time token of the form that created the row (portal/formtokens.py): the form
    shows a secret once, and a repeated POST of it finds this row instead of making another."""

    form_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class Organization(db.Model):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="member")
    # Sitepack's own operators: they see every organisation's exports in the admin pages.
    is_staff: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()

    @property
    def is_admin(self) -> bool:
        return vocabulary.is_admin(self.role)


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
    reference: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="open")
    location: Mapped[str] = mapped_column(String(200), default="")
    trade: Mapped[str] = mapped_column(String(100), default="")
    assignee: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

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
    label: Mapped[str] = mapped_column(String(300))
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
    caption: Mapped[str] = mapped_column(String(300), default="")
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


class ExportWording:
    """How an export is named and counted wherever it is shown; read by `Export` and by the
    status poll's lean row (portal/exports/poll.py), which has the same attributes.

    Needs `kind`, `options`, `project` (with a `name`) and `total`."""

    @property
    def is_bundle(self) -> bool:
        return self.kind == ExportKind.BUNDLE

    @property
    def title(self) -> str:
        """What pages, emails and the admin call it: a bundle's name, else its project's."""
        if self.is_bundle:
            return (self.options or {}).get("name") or "Link bundle"
        return self.project.name

    @property
    def noun(self) -> str:
        """What one of its items is called: a bundle holds files, an export records."""
        return "file" if self.is_bundle else "record"

    @property
    def count_label(self) -> str:
        """Its items, counted: "1 record", "3,000 files"."""
        return f"{self.total:,} {self.noun}{'s' if self.total != 1 else ''}"


class Export(PublicIdMixin, ExportWording, db.Model):
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
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    # Hash of requester + record ids + options: finds an identical live export to reuse.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ExportStatus.PENDING)
    queue_name: Mapped[str] = mapped_column(String(40))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
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
    sha256: Mapped[str] = mapped_column(String(64))
    # The records this zip holds (their PDFs, or their lines in ERRORS.txt).
    records: Mapped[int] = mapped_column(default=0)


class ExportLink(db.Model):
    """One URL of a bundle, in the order given, with the name the caller asked for, if any."""

    __tablename__ = "export_links"
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)


class ExportItem(db.Model):
    """The snapshot of selected record ids, taken when the export was requested."""

    __tablename__ = "export_items"
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)


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


def url_digest(context) -> str:
    return hashlib.sha256(context.get_current_parameters()["url"].encode()).hexdigest()


class WebhookEndpoint(PublicIdMixin, FormTokenMixin, db.Model):
    """A URL an organisation's admin registered to hear about its exports."""

    __tablename__ = "webhook_endpoints"
    # One endpoint per URL in an organisation, else every event would go there twice. The
    # URL's digest carries the index: a PostgreSQL btree entry holds at most ~2,700 bytes.
    __table_args__ = (
        Index(
            "ix_webhook_endpoints_organization_url", "organization_id", "url_digest", unique=True
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    url_digest: Mapped[str] = mapped_column(String(64), default=url_digest)
    description: Mapped[str] = mapped_column(String(200), default="")
    # The event types (portal/webhooks/catalogue.py) this endpoint subscribes to.
    events: Mapped[list] = mapped_column(JSON)
    # Stored as issued (`whsec_` + base64), not hashed: every delivery is signed with it (an
    # HMAC the receiver recomputes with the same secret), so it must be readable to sign.
    # It is shown to the admin once, when the endpoint is registered.
    secret: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The first failed attempt since the last success; cleared by a success.
    failing_since: Mapped[datetime | None]
    # Set when it failed for WEBHOOK_DISABLE_AFTER_HOURS, or an admin disabled it.
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


class WebhookDelivery(PublicIdMixin, db.Model):
    """One event for one endpoint: the outbox row, written in the transaction of the change
    it announces, then attempted until it succeeds or its retries run out.

    `due_at` is when the next attempt should run (None once delivered or given up); a job
    claims the row until `claimed_until` before attempting, so two copies of a job never
    send it twice at once."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), index=True)
    # The export's attempt at the change: one delivery per endpoint, event and attempt.
    export_attempt: Mapped[int] = mapped_column(default=0)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    claimed_until: Mapped[datetime | None]
    # When the recovery pass last handed it to the queue (its job was presumably lost).
    handed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship()
    tries: Mapped[list[WebhookAttempt]] = relationship(
        order_by="WebhookAttempt.number", cascade="all, delete-orphan"
    )


class WebhookAttempt(db.Model):
    """One try at a delivery, as the admin page lists it."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when no answer came (refused, timed out, not allowed by the outbound guard).
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    # The start of the answer's body (webhooks/delivery.EXCERPT_BYTES), as text.
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    succeeded: Mapped[bool] = mapped_column(default=False)


class ApiKey(PublicIdMixin, FormTokenMixin, db.Model):
    """A member's personal key for /api/v1: it acts as its user, in their organisation.

    Only a hash of the secret is stored (portal/api/keys.py); `prefix`, the secret's first
    characters, finds the row and lets people tell their keys apart."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
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
