"""The webhook receiver (tests/conftest.py) allowlisted for this test's app and workers alone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ExportStatus, WebhookDelivery, WebhookEndpoint, utcnow
from portal.webhooks import outbox
from portal.webhooks.catalogue import EventType
from tests import factories


@pytest.fixture
def sitepack_env(sitepack_env, receiver) -> dict[str, str]:
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": f"127.0.0.1:{receiver.port}"}


@pytest.fixture
def endpoint(world, receiver) -> WebhookEndpoint:
    """Org A's endpoint at the receiver, subscribed to every event."""
    return factories.webhook_endpoint(world.admin_a, f"{receiver.url}/in")


@pytest.fixture
def make_delivery(world, endpoint):
    """`make_delivery(delivered=False)`: a completed export of org A announced to `endpoint`."""

    def build(delivered: bool = False) -> WebhookDelivery:
        export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
        outbox.emit(export.id, EventType.COMPLETED)
        db.session.commit()
        delivery = db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.export_id == export.id)
        ).one()
        if delivered:
            delivery.delivered_at, delivery.due_at, delivery.attempts = utcnow(), None, 1
            db.session.commit()
        return delivery

    return build
