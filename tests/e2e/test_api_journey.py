"""An integrator's first hour: a key made in the browser, then an export requested, followed,
announced by a signed webhook and downloaded over /api/v1 with it, on the real servers (RQ
worker, rclone's S3, a receiver on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import requests
from standardwebhooks import Webhook

from portal.models import ApiKey
from tests import factories
from tests.e2e.browser import PHONE
from tests.polling import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def sitepack_env(sitepack_env, receiver):
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": f"127.0.0.1:{receiver.port}"}


def create_key_in_browser(watched, name: str, scope: str) -> str:
    page = watched.page
    page.goto(f"{watched.base_url}/")
    page.click("nav >> text=API keys")
    page.fill("#key-name", name)
    page.select_option("#key-scope", scope)
    page.click("button:has-text('Create key')")
    return page.inner_text("#new-key-secret").strip()


def test_a_key_made_in_the_browser_exports_and_downloads_over_the_api(
    world, project_records, worker, watched, receiver
):
    """Create key → request → webhook → download, as the README's walkthrough goes."""
    records = project_records(6, photo_every=3)
    endpoint = factories.webhook_endpoint(world.admin_a, f"{receiver.url}/sitepack")
    watched.login("member@acme.test")
    secret = create_key_in_browser(watched, "BI nightly job", "export")
    watched.screenshot("api-key-created")
    assert ApiKey.query.one().prefix == secret[:15]

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {secret}"
    body = {"project": world.project_a.public_id, "record_ids": [r.public_id for r in records]}
    accepted = api.post(f"{watched.base_url}/api/v1/exports", json=body, timeout=30)
    assert accepted.status_code == 202, accepted.text
    status_url = accepted.headers["Location"]  # PUBLIC_BASE_URL is this server
    assert status_url.startswith(watched.base_url)

    def completed():
        export = api.get(status_url, timeout=30).json()
        assert export["state"] in ("pending", "processing", "completed"), export
        return export if export["state"] == "completed" else None

    with worker():
        export = wait_until(completed, timeout=180, interval=0.5)
        wait_until(lambda: receiver.requests, timeout=60)
    [part] = export["parts"]
    [hook] = receiver.requests
    event = Webhook(endpoint.secret).verify(hook.body, hook.headers)  # raises unless signed
    assert (event["type"], event["data"]["id"]) == ("export.completed", export["id"])
    assert [p["sha256"] for p in event["data"]["parts"]] == [part["sha256"]]
    redirect = api.get(export["links"]["download"], allow_redirects=False, timeout=30)
    assert redirect.status_code == 302
    zip_bytes = requests.get(redirect.headers["Location"], timeout=60).content
    assert hashlib.sha256(zip_bytes).hexdigest() == part["sha256"]
    assert len(zip_bytes) == part["byte_size"]
    names = zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist()
    assert len([n for n in names if n.endswith(".pdf") and n != "00-INDEX.pdf"]) == 6


def test_the_keys_page_and_the_reference_fit_a_phone(world, watched):
    watched.page.set_viewport_size(PHONE)
    watched.login("admin@acme.test")
    secret = create_key_in_browser(watched, "Document control sync for the north tower", "read")
    assert secret.startswith("sp_")
    watched.screenshot("phone-api-keys")
    assert watched.horizontal_overflow() == 0 and watched.controls_off_screen() == []
    watched.page.click("button:has-text('Revoke')")
    watched.page.locator(".badge", has_text="revoked").wait_for()
    watched.page.goto(f"{watched.base_url}/api/v1/reference")
    watched.screenshot("phone-api-reference")
    assert watched.horizontal_overflow() == 0
