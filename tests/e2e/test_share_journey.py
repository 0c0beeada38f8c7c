"""An external share from the recipient's side, in Chromium: the sharer sends a ready export
from its page; the recipient, with no account, follows the link from the email (taken from
the SMTP sink) on a phone, downloads the zip (its sha256 is the export's), and the sharer's
page shows the open and the download; a mail scanner's HEAD and GET count as no download;
after the link is withdrawn, the same link answers the clear page and downloads nothing."""

from __future__ import annotations

import hashlib
import re
import urllib.request

import pytest
from sqlalchemy import select

from portal.exports import service
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import ExportShare, ExportStatus, ShareAccess, ShareAccessKind
from tests import factories
from tests.e2e.browser import DESKTOP, PHONE
from tests.helpers import reload
from tests.polling import wait_until
from tests.servers import text_body

pytestmark = pytest.mark.browser
RECIPIENT = "rep@client.test"


@pytest.fixture
def app_overrides() -> dict:
    """The share form emails from the web request, which TESTING would keep from the sink."""
    return {"MAIL_SUPPRESS_SEND": False}


def mail_to(mail_sink, address: str, subject: str):
    def found():
        return next(
            (
                m
                for m in mail_sink.messages
                if m["X-Envelope-To"] == address and subject in m["Subject"]
            ),
            None,
        )

    return wait_until(found, timeout=60)


def downloads_recorded() -> int:
    db.session.expire_all()
    return len(
        db.session.scalars(
            select(ShareAccess).where(ShareAccess.kind == ShareAccessKind.DOWNLOADED)
        ).all()
    )


def scanner_visits(link: str) -> None:
    """What a mail scanner does to a link: a HEAD and a GET, following nothing further."""
    for method in ("HEAD", "GET"):
        with urllib.request.urlopen(urllib.request.Request(link, method=method)) as answer:
            assert answer.status == 200


def test_a_recipient_downloads_a_shared_export_on_a_phone_until_the_link_is_withdrawn(
    world, project_records, worker, mail_sink, watched, tmp_path
):
    ids = [record.id for record in project_records(4, photo_every=2)]
    page = watched.page
    with worker():
        made = service.request_export(world.member_a, world.project_a, ids, ExportOptions())
        export = wait_until(
            lambda: (e := reload(made.export.id)).status == ExportStatus.COMPLETED and e,
            timeout=120,
        )
        watched.login("member@acme.test")
        page.goto(f"{watched.base_url}/exports/{export.public_id}")
        page.fill("#share-emails", RECIPIENT)
        page.fill("#share-message", "The handover pack, as agreed.")
        page.click("button:has-text('Share')")
        page.locator(".flash", has_text=f"a link went to {RECIPIENT}").wait_for()
        link = re.search(
            r"https?://\S+/s/\S+", text_body(mail_to(mail_sink, RECIPIENT, "shared"))
        ).group(0)
        page.click("button:has-text('Log out')")

        scanner_visits(link)
        assert downloads_recorded() == 0

        page.set_viewport_size(PHONE)
        page.goto(link)
        page.locator("h1", has_text="Harbour View Tower").wait_for()
        assert "The handover pack, as agreed." in page.inner_text(".share-landing")
        assert watched.horizontal_overflow() <= 0
        watched.screenshot("phone-share-landing")
        with page.expect_download() as download_info:
            page.click("button:has-text('Download zip')")
        saved = tmp_path / "shared.zip"
        download_info.value.save_as(saved)
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == export.parts[0].sha256
        assert downloads_recorded() == 1
        mail_to(mail_sink, "member@acme.test", f"{RECIPIENT} downloaded")

    page.set_viewport_size({"width": 1366, "height": 900})
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/exports/{export.public_id}")
    panel = page.locator(".share-panel")
    assert "Opened" in panel.inner_text() and "Downloaded" in panel.inner_text()
    panel.locator("button", has_text="Withdraw this link").click()
    page.locator(".flash", has_text="no longer works").wait_for()
    page.click("button:has-text('Log out')")

    path = "/s/" + link.rsplit("/", 1)[-1]
    watched.expect_status(path, 404)
    page.set_viewport_size(PHONE)
    page.goto(link)
    page.locator("h1", has_text="This link isn't available").wait_for()
    assert page.locator("button:has-text('Download')").count() == 0
    assert watched.horizontal_overflow() <= 0
    assert db.session.scalar(select(ExportShare.revoked_at)) is not None
    assert downloads_recorded() == 1


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_share_panel_and_the_sharing_settings_fit_the_window(world, watched, viewport):
    """The sharer's panel on a ready export (form and a link with its audit), and the
    admin's sharing settings, at 1366 px and on a 390 px phone."""
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
    factories.share_of(export, "a.very.long.recipient.address@subcontractor-example.test")
    page = watched.page
    watched.visit_as("admin@acme.test", f"/exports/{export.public_id}", viewport)
    page.locator(".share-panel", has_text="Not opened yet").wait_for()
    assert page.locator("#share-emails").is_visible()
    assert watched.horizontal_overflow() <= 0 and watched.controls_off_screen() == []
    watched.screenshot(f"share-panel-{viewport['width']}")
    page.goto(f"{watched.base_url}/admin/sharing")
    page.locator("h1", has_text="Sharing outside Acme Build").wait_for()
    assert watched.horizontal_overflow() <= 0 and watched.controls_off_screen() == []
    watched.screenshot(f"sharing-settings-{viewport['width']}")
