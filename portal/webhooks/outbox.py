"""The webhook outbox: one delivery row per subscribed endpoint, written in the transaction
of the change it announces, so a change that is rolled back announces nothing.

The rows are handed to the webhooks lane as soon as that transaction commits (a session
hook, so no caller has to remember); if that hand-over is lost (Redis down), the recovery
pass hands over whatever is overdue (delivery.hand_over_overdue).
"""

from __future__ import annotations

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal import queues
from portal.extensions import db
from portal.models import Export, WebhookDelivery, WebhookEndpoint, utcnow
from portal.webhooks import payload
from portal.webhooks.catalogue import EventType

PENDING = "webhook_deliveries"  # session.info key: deliveries to hand over after commit


def emit(export_id: int, event_type: EventType) -> None:
    """Deliveries of `event_type` about the export, as it is inside this transaction, to its
    organisation's enabled endpoints that subscribe; at most one per endpoint for each
    attempt of the export, so a repeated change (a mail claim undone and taken again) is
    announced once."""
    export = db.session.get(Export, export_id)
    endpoints = subscribers(export.organization_id, event_type)
    if not endpoints:
        return
    db.session.flush()
    db.session.expire(export)  # the values this transaction just wrote, parts included
    told = set(
        db.session.scalars(
            select(WebhookDelivery.endpoint_id).where(
                WebhookDelivery.export_id == export_id,
                WebhookDelivery.event == event_type,
                WebhookDelivery.export_attempt == export.attempt,
            )
        )
    )
    endpoints = [endpoint for endpoint in endpoints if endpoint.id not in told]
    if not endpoints:
        return
    now = utcnow()
    body = payload.event_body(event_type, export, now)
    rows = [
        WebhookDelivery(
            organization_id=export.organization_id,
            endpoint_id=endpoint.id,
            export_id=export_id,
            export_attempt=export.attempt,
            event=event_type,
            payload=body,
            created_at=now,
            due_at=now,
        )
        for endpoint in endpoints
    ]
    db.session.add_all(rows)
    db.session.flush()
    db.session.info.setdefault(PENDING, []).extend(row.id for row in rows)


def subscribers(organization_id: int, event_type: EventType) -> list[WebhookEndpoint]:
    """Events are a JSON list: filtered here, the same on SQLite and PostgreSQL (an
    organisation has a handful of endpoints)."""
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == organization_id,
            WebhookEndpoint.disabled_at.is_(None),
        )
    )
    return [endpoint for endpoint in endpoints if event_type in endpoint.events]


def _hand_over(session: Session) -> None:
    for delivery_id in session.info.pop(PENDING, ()):
        try:
            queues.enqueue_delivery(delivery_id)
        except RedisError as exc:
            current_app.logger.warning("webhook delivery %s left to recovery: %s", delivery_id, exc)


def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


def listen() -> None:
    """Installed once per process by create_app."""
    if not event.contains(Session, "after_commit", _hand_over):
        event.listen(Session, "after_commit", _hand_over)
        event.listen(Session, "after_rollback", _forget)
