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
from tests.outbound.sites import PDF, Site, file, redirect, status
from tests.servers import text_body, wait_for_mail

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
    assert f"1 of {FILES + 1} links could not be fetched:" in text
    assert f"{site.url('/missing.pdf')}: HTTP 404" in text
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


DESKTOP = {"width": 1366, "height": 900}
BROKEN = {
    "/gone.pdf": (status(404), "HTTP 404"),
    "/sign-in": (file(b"<!doctype html><p>Sign in</p>" * 20, content_type="text/html"),
                 "text/html is not an allowed type (the server said text/html)"),
    "/moved": (redirect("http://a..b/drawings.pdf"), "The URL's host name is not valid."),
}  # fmt: skip


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "390px"])
def test_a_bundle_whose_every_link_failed_shows_each_links_reason_and_mails_them(
    world, site, worker, bucket, mail_sink, watched, viewport
):
    site.routes.update({path: route for path, (route, _) in BROKEN.items()})
    page = watched.page
    page.set_viewport_size(viewport)
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/bundles/new")
    page.fill("#bundle-name", "Certificates, block C")
    page.fill("#bundle-links", "\n".join(site.url(path) for path in BROKEN))
    with worker():
        page.click("text=Bundle these links")
        page.wait_for_url("**/exports/*")
        wait_for_state_text(page, "could not be completed", timeout=120_000)
        [mail] = wait_for_mail(mail_sink, 1)

    text = status_text(page)
    assert page.inner_text("#export-status .badge") == "Failed"
    assert "None of the 3 links could be fetched, so there is no zip." in text
    assert "Ready" not in text and "Download" not in text
    for path, (_, reason) in BROKEN.items():
        assert f"{site.url(path)}: {reason}" in text
        assert page.locator(".link-errors li", has_text=reason).is_visible()
    assert page.get_by_role("button", name="Retry").is_visible()
    name = "phone" if viewport == PHONE else "desktop"
    watched.screenshot(f"{name}-bundle-failed")
    assert watched.horizontal_overflow() == 0 and watched.controls_off_screen() == []

    body = " ".join(text_body(mail).split())
    assert mail["Subject"] == "“Certificates, block C” could not be completed"
    for path, (_, reason) in BROKEN.items():
        assert f"- {site.url(path)}: {reason}" in body
