"""The "Bundle links" page in a real browser on a 390 px phone: paste links, submit, watch the
status section fetch them and come to rest on a ready zip, with nothing wider than the screen."""

from __future__ import annotations

import pytest

from tests.e2e.browser import PHONE
from tests.e2e.test_export_journey import (
    PROGRESS_RECORDER,
    status_text,
    texts_seen,
    wait_for_state_text,
)
from tests.outbound.sites import PDF, Site, file

pytestmark = pytest.mark.browser
FILES = 12
DELAY = 1.0  # each file's server waits this long: long enough for a poll to see it fetching


@pytest.fixture
def site():
    with Site({}) as server:
        yield server


@pytest.fixture
def sitepack_env(sitepack_env, site):
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": f"127.0.0.1:{site.port}"}


def fits_the_phone(watched, name: str) -> None:
    watched.screenshot(f"phone-{name}")
    assert watched.horizontal_overflow() == 0
    assert watched.controls_off_screen() == []


def test_a_member_on_a_phone_bundles_pasted_links_and_watches_the_zip_arrive(
    world, site, worker, bucket, watched
):
    for n in range(FILES):
        site.routes[f"/docs/{n}.pdf"] = file(PDF + bytes([n]) * 5000, delay=DELAY)
    lines = [site.url("/docs/0.pdf") + "\tSpecifications/Concrete.pdf"]
    lines += [site.url(f"/docs/{n}.pdf") for n in range(1, FILES)] + [site.url("/missing.pdf")]
    page = watched.page
    page.set_viewport_size(PHONE)
    page.add_init_script(PROGRESS_RECORDER)
    watched.login("member@acme.test")

    page.click(".topnav >> text=Bundle links")
    page.fill("#bundle-name", "Handover pack, block B")
    page.fill("#bundle-links", "\n".join(lines))
    fits_the_phone(watched, "bundle-links-form")
    with worker():
        page.click("text=Bundle these links")
        page.wait_for_url("**/exports/*")
        wait_for_state_text(page, "Your zip is ready", timeout=120_000)

    text = status_text(page)
    assert f"{FILES + 1} files · Handover pack, block B" in text
    assert "1 file could not be fetched; ERRORS.txt in the zip says which and why." in text
    assert any("Fetching your files: " in seen for seen in texts_seen(page))
    assert page.get_attribute("#export-status", "hx-trigger") is None  # polling has stopped
    assert page.locator("text=Download zip").is_visible()
    fits_the_phone(watched, "bundle-ready")


def test_a_refused_bundle_keeps_what_was_pasted_on_a_phone(world, watched):
    page = watched.page
    page.set_viewport_size(PHONE)
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/bundles/new")
    watched.expect_status("/bundles", 400)

    page.fill("#bundle-name", "Certificates")
    page.fill("#bundle-links", "https://docs.example/a.pdf\nftp://docs.example/b.pdf")
    page.click("text=Bundle these links")

    page.locator("#bundle-error", has_text="Line 2:").wait_for()
    assert (
        page.input_value("#bundle-links") == "https://docs.example/a.pdf\nftp://docs.example/b.pdf"
    )
    assert page.input_value("#bundle-name") == "Certificates"
    fits_the_phone(watched, "bundle-links-refused")
