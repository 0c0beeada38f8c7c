"""An org admin on a 390 px phone registers a webhook endpoint, copies its secret, revokes an
export, and sees the delivery's attempt logged on the endpoint's page; the receiver on
127.0.0.1 got the event, signed with that secret."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from portal.extensions import db
from portal.models import ExportStatus, WebhookAttempt
from tests import factories
from tests.e2e.browser import PHONE
from tests.polling import wait_until
from tests.servers import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    with Receiver(body=b'{"received": true}') as server:
        yield server


@pytest.fixture
def sitepack_env(sitepack_env, receiver):
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": f"127.0.0.1:{receiver.port}"}


def attempt_logged() -> bool:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(WebhookAttempt)) > 0


def fits_the_phone(watched, name: str) -> None:
    watched.screenshot(f"phone-{name}")
    assert watched.horizontal_overflow() == 0, name
    assert watched.controls_off_screen() == [], name


def test_admin_registers_an_endpoint_and_sees_a_delivery_attempt_logged(
    world, watched, worker, receiver
):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
    page = watched.page
    page.set_viewport_size(PHONE)
    watched.login("admin@acme.test")
    page.goto(f"{watched.base_url}/admin/exports")
    page.click(".admin-tabs >> text=Webhooks")
    fits_the_phone(watched, "admin-webhooks")

    page.fill("#webhook-url", f"{receiver.url}/sitepack")
    page.fill("#webhook-description", "Document control system")
    for box in page.locator("input[name=events]").all():
        box.set_checked(box.get_attribute("value") == "export.revoked")
    page.click("button:has-text('Register endpoint')")
    secret = page.input_value("#webhook-secret")
    assert secret.startswith("whsec_")
    fits_the_phone(watched, "admin-webhook-created")
    page.click("text=Done, show the endpoint")
    assert secret not in page.content()

    with worker():
        page.goto(f"{watched.base_url}/admin/exports/{export.public_id}/confirm/revoke")
        page.click("button:has-text('Yes, revoke')")
        page.locator(".flash", has_text="Revoked").wait_for()
        wait_until(attempt_logged, timeout=30)
    page.goto(f"{watched.base_url}/admin/webhooks/")
    page.click(f"a:has-text('{receiver.url}/sitepack')")
    attempt = page.locator("table.webhook-attempts tbody tr").first
    assert "200" in attempt.inner_text() and '"received": true' in attempt.inner_text()
    assert "export.revoked" in page.inner_text(".webhook-delivery h3")
    fits_the_phone(watched, "admin-webhook")

    [request] = receiver.requests
    event = Webhook(secret).verify(request.body, request.headers)
    assert (event["type"], event["data"]["id"]) == ("export.revoked", export.public_id)
