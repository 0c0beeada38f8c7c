"""A reload of the page that shows a secret once posts its form again (the browser asks, the
person accepts): in Chromium it must create no second API key and no second webhook endpoint,
and show no secret the second time."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ApiKey, WebhookEndpoint
from tests.e2e.browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def sitepack_env(sitepack_env, receiver):
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": f"127.0.0.1:{receiver.port}"}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def reload_posts_again(watched) -> None:
    """Reload as a person who accepts "Confirm form resubmission" does; the POST is sent."""
    posts = []
    watched.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    watched.page.reload()
    assert posts, "the reload did not post the form again"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_reloading_a_new_keys_page_creates_no_second_key(world, watched, viewport):
    page = watched.page
    watched.visit_as("member@acme.test", "/settings/api-keys", viewport)
    page.fill("#key-name", "Field app sync")
    page.click("button:has-text('Create key')")
    secret = page.inner_text("#new-key-secret").strip()
    reload_posts_again(watched)
    page.wait_for_load_state()
    assert count(ApiKey) == 1
    assert "Already created" in page.inner_text("#key-already-created")
    assert secret not in page.content()
    watched.screenshot(f"api-key-reloaded-{viewport['width']}")
    assert watched.horizontal_overflow() == 0


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_reloading_a_new_endpoints_page_registers_no_second_endpoint(
    world, watched, receiver, viewport
):
    page = watched.page
    watched.visit_as("admin@acme.test", "/admin/webhooks/", viewport)
    page.fill("#webhook-url", f"{receiver.url}/sitepack")
    page.click("button:has-text('Register endpoint')")
    secret = page.input_value("#webhook-secret")
    reload_posts_again(watched)
    page.wait_for_load_state()
    assert count(WebhookEndpoint) == 1
    page.locator("#webhook-already-registered").wait_for()
    assert secret not in page.content()
    watched.screenshot(f"webhook-reloaded-{viewport['width']}")
    assert watched.horizontal_overflow() == 0
