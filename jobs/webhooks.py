"""Webhook jobs: one delivery attempt (on the webhooks lane), and the email to an
organisation's admins when an endpoint was disabled (on the mail lane)."""

from __future__ import annotations

from portal.extensions import db
from portal.models import WebhookEndpoint
from portal.webhooks import delivery, notices


def deliver(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


def send_disabled_mail(endpoint_id: int) -> str:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    sent_to = notices.send_disabled(endpoint)
    return f"disabled-endpoint mail sent to {', '.join(sent_to) or 'nobody (no admin)'}"
