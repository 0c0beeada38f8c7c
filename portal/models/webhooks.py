"""Webhook endpoints an organisation registers, and the deliveries (the outbox) sent to them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import FormTokenMixin, PublicIdMixin, utcnow
from portal.models.lengths import WEBHOOK_DESCRIPTION_MAX, WEBHOOK_URL_MAX
from portal.models.tenancy import Organization


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
    url: Mapped[str] = mapped_column(String(WEBHOOK_URL_MAX))
    url_digest: Mapped[str] = mapped_column(String(64), default=url_digest)
    description: Mapped[str] = mapped_column(String(WEBHOOK_DESCRIPTION_MAX), default="")
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
