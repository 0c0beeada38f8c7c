"""What an organisation's admins do with webhook endpoints: register one (its secret shown
once), disable or enable it, delete it, and send a delivery again. Every lookup is scoped by the
caller (admin.access.within_reach), so another organisation's ids answer 404."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete as delete_rows
from sqlalchemy import select, update

from portal import queues
from portal.extensions import db
from portal.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from portal.models.lengths import WEBHOOK_DESCRIPTION_MAX, WEBHOOK_URL_MAX
from portal.outbound.guard import Refused, policy_for, vet
from portal.webhooks import signing
from portal.webhooks.catalogue import EventType

URL_TAKEN = (
    "An endpoint with this URL is already registered (see the list above): each event would "
    "reach it twice. Delete that one first to register the URL again with a new secret."
)


class EndpointError(ValueError):
    """Bad input for an endpoint; the message is shown on the form as it is."""


@dataclass(frozen=True)
class Registration:
    url: str
    events: list[str]
    description: str

    @classmethod
    def parse(cls, url: str, events: Iterable[str], description: str, config) -> Registration:
        """A URL the outbound guard would fetch now, and at least one known event."""
        url = (url or "").strip()
        if not url or len(url) > WEBHOOK_URL_MAX:
            raise EndpointError(f"Enter the endpoint's URL (at most {WEBHOOK_URL_MAX} characters).")
        try:
            vet(url, policy_for(config))
        except Refused as exc:
            raise EndpointError(f"That URL can't be used: {exc}") from exc
        known = [event for event in EventType if event in set(events)]
        if not known:
            raise EndpointError("Choose at least one event to send to this endpoint.")
        description = " ".join(description.split())
        if len(description) > WEBHOOK_DESCRIPTION_MAX:
            raise EndpointError(
                f"The description can be at most {WEBHOOK_DESCRIPTION_MAX} characters."
            )
        return cls(url, [str(event) for event in known], description)


def register(registration: Registration, by: User, form_token: str) -> WebhookEndpoint:
    """A new endpoint (the caller commits), unless the organisation has one on that URL: each
    event would go to it twice, one copy signed with a secret that nobody may have kept."""
    if taken(registration.url, by):
        raise EndpointError(URL_TAKEN)
    endpoint = WebhookEndpoint(
        organization_id=by.organization_id,
        url=registration.url,
        events=registration.events,
        description=registration.description,
        secret=signing.new_secret(),
        created_by_id=by.id,
        form_token=form_token,
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def taken(url: str, by: User) -> bool:
    query = select(WebhookEndpoint.id).where(
        WebhookEndpoint.organization_id == by.organization_id, WebhookEndpoint.url == url
    )
    return db.session.scalar(query) is not None


def disable(endpoint: WebhookEndpoint, by: User) -> None:
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.disabled_at.is_(None))
        .values(disabled_at=utcnow(), disabled_reason=f"Disabled by {by.email}.")
    )
    db.session.commit()


def enable(endpoint: WebhookEndpoint) -> None:
    """Back on, with a fresh failing clock; deliveries given up meanwhile can be sent again."""
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id)
        .values(disabled_at=None, disabled_reason=None, failing_since=None)
    )
    db.session.commit()


def delete(endpoint: WebhookEndpoint) -> None:
    """The endpoint with its deliveries and their log; a delivery job still queued for it
    finds no row and does nothing."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    db.session.execute(
        delete_rows(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries))
    )
    db.session.execute(
        delete_rows(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    )
    db.session.execute(delete_rows(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))
    db.session.commit()


def send_again(delivery: WebhookDelivery) -> None:
    """Due now, with the same id and payload (a receiver that had it can tell); the attempts
    so far stay in the log. An attempt in flight finishes first: its claim still holds. A
    delivery waiting for its next retry is simply tried now; its scheduled job then finds
    it delivered, or not yet due again, and does nothing."""
    if not delivery.endpoint.enabled:
        raise EndpointError("Enable the endpoint before sending a delivery to it again.")
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(due_at=utcnow(), delivered_at=None, gave_up_at=None)
    )
    db.session.commit()
    queues.enqueue_delivery(delivery.id)
