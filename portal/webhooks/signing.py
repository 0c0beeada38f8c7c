"""Standard Webhooks signatures (https://www.standardwebhooks.com): the receiver verifies
`webhook-signature` over `webhook-id.webhook-timestamp.body` with the endpoint's secret,
using the `standardwebhooks` package or any implementation of the spec."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
# The spec's headers, also documented by the API's OpenAPI document (portal/api/spec.py).
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def new_secret() -> str:
    """24 random bytes, base64, with the spec's prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The headers of one attempt; `at` is naive UTC, as every time in the database is."""
    moment = at.replace(tzinfo=UTC)
    return {
        "content-type": "application/json",
        "user-agent": "Sitepack-Webhooks/1",
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(moment.timestamp())),
        SIGNATURE_HEADER: Webhook(secret).sign(message_id, moment, body),
    }
