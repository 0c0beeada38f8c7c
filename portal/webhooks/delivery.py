"""Delivering one webhook: claim the row, POST the signed event through the outbound guard,
log the attempt, then done, retry later, or give up; and disable an endpoint that has been
failing for WEBHOOK_DISABLE_AFTER_HOURS.

Any number of copies of a delivery job may run (a retry scheduled, a hand-over by the
recovery pass): the claim lets one attempt at a time through and only when it is due.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from portal import queues
from portal.extensions import db
from portal.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from portal.outbound import fetch
from portal.outbound.guard import Refused, policy_for
from portal.webhooks import signing

# What the admin page keeps of each answer's body.
EXCERPT_BYTES = 1024
# Longer than one attempt can take (the outbound policy's deadline plus its connect time).
CLAIM = timedelta(minutes=2)
# Due this long and not claimed: its job was lost (Redis restarted, say); handed over again,
# at most once per HANDOVER_LEASE.
OVERDUE = timedelta(minutes=2)
HANDOVER_LEASE = timedelta(minutes=10)
# RQ's scheduler keeps times in whole seconds, so a scheduled retry may start up to a second
# before the row says it is due: it is let through rather than left to the recovery pass.
EARLY = timedelta(seconds=1)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None


def deliver(delivery_id: int) -> str:
    """One attempt at a due delivery; a spare job (not due, or claimed) does nothing."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "not due, or another job is attempting it"
    if not delivery.endpoint.enabled:
        finish(delivery, gave_up=True)
        return "endpoint disabled: given up"
    outcome = send(delivery)
    return record(delivery, outcome)


def claim(delivery_id: int) -> WebhookDelivery | None:
    now = utcnow()
    changed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.due_at <= now + EARLY,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM)
    ).rowcount
    db.session.commit()
    return db.session.get(WebhookDelivery, delivery_id) if changed else None


def send(delivery: WebhookDelivery) -> Outcome:
    """POST the event; the read transaction ends first, so no database transaction stays
    open for the seconds a receiver may take."""
    body = json.dumps(delivery.payload, separators=(",", ":"))
    url, secret = delivery.endpoint.url, delivery.endpoint.secret
    headers = signing.signed_headers(secret, message_id(delivery), utcnow(), body)
    db.session.commit()
    started = time.monotonic()
    try:
        answer = fetch.request("POST", url, policy_for(current_app.config), headers, body.encode())
    except (Refused, fetch.Unreachable) as exc:
        return Outcome(None, elapsed_ms(started), "", str(exc))
    excerpt = answer.body[:EXCERPT_BYTES].decode("utf-8", "replace")
    return Outcome(answer.status, elapsed_ms(started), excerpt, refusal(answer.status))


def message_id(delivery: WebhookDelivery) -> str:
    """The same on every attempt, so a receiver can drop a delivery it has already had."""
    return f"msg_{delivery.public_id}"


def refusal(status: int) -> str | None:
    """Only a 2xx delivers; a redirect is never followed (its target is not vetted)."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def record(delivery: WebhookDelivery, outcome: Outcome) -> str:
    """The attempt, and what follows from it, in one transaction."""
    now, number = utcnow(), delivery.attempts + 1
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            number=number,
            at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            succeeded=outcome.succeeded,
        )
    )
    if outcome.succeeded:
        return delivered(delivery, number, now)
    return failed(delivery, number, now, outcome.error)


def delivered(delivery: WebhookDelivery, number: int, now: datetime) -> str:
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == delivery.endpoint_id)
        .values(failing_since=None)
    )
    finish(delivery, attempts=number, delivered_at=now)
    return f"delivered on attempt {number}"


def failed(delivery: WebhookDelivery, number: int, now: datetime, error: str) -> str:
    """Retry after the next interval, or give up after the last; disable the endpoint once
    it has been failing long enough, and tell its admins."""
    intervals = current_app.config["WEBHOOK_RETRY_INTERVALS"]
    wait = intervals[number - 1] if number <= len(intervals) else None
    disabled = note_failure(delivery.endpoint_id, now)
    if wait is None or disabled:
        finish(delivery, attempts=number, gave_up=True)
    else:
        finish(delivery, attempts=number, due_at=now + timedelta(seconds=wait))
        queues.enqueue_delivery(delivery.id, wait)
    if disabled:
        queues.enqueue_endpoint_disabled_mail(delivery.endpoint_id)
    return f"attempt {number} failed ({error})" + ("; endpoint disabled" if disabled else "")


def note_failure(endpoint_id: int, now: datetime) -> bool:
    """Start the endpoint's failing clock, or disable it once the clock has run long enough;
    True only for the write that disabled it, so its admins are emailed once."""
    endpoint = WebhookEndpoint.id == endpoint_id
    db.session.execute(
        update(WebhookEndpoint)
        .where(endpoint, WebhookEndpoint.failing_since.is_(None))
        .values(failing_since=now)
    )
    hours = current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"]
    return bool(
        db.session.execute(
            update(WebhookEndpoint)
            .where(
                endpoint,
                WebhookEndpoint.disabled_at.is_(None),
                WebhookEndpoint.failing_since <= now - timedelta(hours=hours),
            )
            .values(
                disabled_at=now,
                disabled_reason=f"Every delivery failed for {hours} hours.",
            )
        ).rowcount
    )


def finish(delivery: WebhookDelivery, gave_up: bool = False, **values) -> None:
    """Release the claim with the attempt's result; a delivery given up is no longer due."""
    if gave_up:
        values.update(gave_up_at=utcnow(), due_at=None)
    values.setdefault("due_at", None)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(claimed_until=None, **values)
    )
    db.session.commit()


def hand_over_overdue() -> int:
    """The recovery pass: deliveries due a while and unclaimed lost their job; queue them."""
    now = utcnow()
    overdue = db.session.scalars(
        select(WebhookDelivery.id).where(
            WebhookDelivery.due_at <= now - OVERDUE,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            or_(
                WebhookDelivery.handed_at.is_(None),
                WebhookDelivery.handed_at < now - HANDOVER_LEASE,
            ),
        )
    ).all()
    for delivery_id in overdue:
        queues.enqueue_delivery(delivery_id)
        db.session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(handed_at=now)
        )
        db.session.commit()
    return len(overdue)
