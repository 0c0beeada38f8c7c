"""Standard Webhooks signatures (https://www.standardwebhooks.com): the receiver verifies
`webhook-signature` over `webhook-id.webhook-timestamp.body` with the endpoint's secret,
using the `standardwebhooks` package or any implementation of the spec."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes, base64, with the spec's prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The headers of one attempt; `at` is naive UTC, as every time in the database is."""
    moment = at.replace(tzinfo=UTC)
    return {
        "content-type": "application/json",
        "user-agent": "Sitepack-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
    }
