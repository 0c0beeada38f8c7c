"""The email an organisation's admins get when one of their webhook endpoints is disabled."""

from __future__ import annotations

from sqlalchemy import select

from portal import mailer, urls, vocabulary
from portal.extensions import db
from portal.models import User, WebhookEndpoint


def admins_of(organization_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(User.email).where(
                User.organization_id == organization_id, User.role == vocabulary.ADMIN_ROLE
            )
        )
    )


def send_disabled(endpoint: WebhookEndpoint) -> list[str]:
    """One message to every admin of the endpoint's organisation; the addresses it went to."""
    recipients = admins_of(endpoint.organization_id)
    if not recipients:
        return []
    context = {
        "endpoint": endpoint,
        "page_url": urls.absolute("webhooks.detail", endpoint_id=endpoint.public_id),
    }
    mailer.send_branded(
        endpoint.organization,
        "email/webhook_disabled",
        context,
        subject="A Sitepack webhook endpoint was disabled",
        recipients=recipients,
    )
    return recipients
