"""The handover PDF settings in Chromium: an org admin cannot turn signing on before there is
a certificate, a PKCS#12 whose password is wrong is refused with the reason (and nothing is
stored), their own key is taken, and then signing stays on; the page fits a phone too."""

from __future__ import annotations

import pytest

from portal.storage import client as s3
from portal.storage import keys
from tests.e2e.browser import DESKTOP, PHONE
from tests.signing.test_signing import own_pkcs12

pytestmark = pytest.mark.browser
SETTINGS = "/settings/organisation/"


@pytest.fixture
def app_overrides(tmp_path):
    return {"SIGNING_PASSPHRASE": "correct horse", "SIGNING_CA_PATH": str(tmp_path / "ca.p12")}


def upload_key(watched, tmp_path, password: str) -> None:
    path = tmp_path / "acme.p12"
    path.write_bytes(own_pkcs12(b"their secret"))
    watched.page.set_input_files("#signing-key-file", str(path))
    watched.page.fill("#signing-key-password", password)
    watched.page.click("button:has-text('Upload signing key')")


def test_signing_waits_for_a_key_and_a_wrong_password_is_refused(world, bucket, watched, tmp_path):
    page = watched.page
    watched.visit_as("admin@acme.test", SETTINGS, DESKTOP)
    watched.expect_status("/settings/organisation/pdfs", 400)
    watched.expect_status("/settings/organisation/signing-key", 400)
    assert page.is_checked("#pdfs-archival") and not page.is_checked("#pdfs-signing")
    page.check("#pdfs-signing")
    page.click("button:has-text('Save handover PDF settings')")
    page.locator("#pdfs-signing-error", has_text="Signing needs a certificate").wait_for()

    upload_key(watched, tmp_path, "not their secret")
    page.locator("#signing-key-error", has_text="password does not open").wait_for()
    assert not s3.exists(keys.organization_signer(world.org_a.id))
    watched.screenshot("signing-key-refused-1366")

    upload_key(watched, tmp_path, "their secret")
    page.locator(".flash", has_text="Signing key saved").wait_for()
    page.uncheck("#pdfs-archival")
    page.check("#pdfs-signing")
    page.click("button:has-text('Save handover PDF settings')")
    page.locator(".flash", has_text="Handover PDF settings saved").wait_for()
    assert page.is_checked("#pdfs-signing") and not page.is_checked("#pdfs-archival")
    assert page.locator("#signing-key", has_text="CN=Acme Build (own)").count() == 1

    page.set_viewport_size(PHONE)
    upload_key(watched, tmp_path, "wrong again")
    page.locator("#signing-key-error", has_text="password does not open").wait_for()
    assert watched.horizontal_overflow() <= 0
    watched.screenshot("signing-key-refused-390")
