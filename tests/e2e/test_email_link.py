"""The download link in the ready email, followed in Chromium: logged out, then logged in;
for an export of one zip, and of three.

Chromium applies the CSP's `form-action 'self'` to the whole redirect chain of a form POST,
so a login that redirected on to the download (and from there to S3) would be blocked and
leave the user on the login form; `requests` and Flask's test client would not notice.
"""

from __future__ import annotations

import re
import zipfile

import pytest

from portal import queues
from portal.exports import service
from portal.exports.options import ExportOptions
from portal.formatting import filesize
from portal.mailer import MailKind
from portal.models import Download, Export, ExportStatus
from portal.storage import client as s3
from tests import factories
from tests.helpers import reload
from tests.servers import text_body, wait_for_mail

pytestmark = pytest.mark.browser


@pytest.fixture
def emailed_export(world, project_records, worker, mail_sink) -> tuple[Export, str]:
    """Org A's member exports 6 records; a real worker builds the zip and sends the ready
    email. The export and the download link as the email has it."""
    ids = [record.id for record in project_records(6, photo_every=3)]
    with worker():
        result = service.request_export(world.member_a, world.project_a, ids, ExportOptions())
        [mail] = wait_for_mail(mail_sink, 1, timeout=120)
    link = re.search(r"https?://\S+/download", text_body(mail)).group(0)
    return reload(result.export.id), link


def file_name(export: Export) -> str:
    return export.object_keys[0].rsplit("/", 1)[-1]


def log_in_from(watched, link: str, export: Export) -> None:
    """Follow `link` logged out, log in as the requester, and land on the export's page."""
    watched.page.goto(link)
    watched.page.locator("h1", has_text="Log in").wait_for()
    watched.submit_login("member@acme.test")
    watched.page.wait_for_url(f"**/exports/{export.public_id}**")


def assert_is_the_zip(download, export: Export, tmp_path) -> None:
    assert download.suggested_filename == file_name(export)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with zipfile.ZipFile(target) as archive:
        assert (
            len([n for n in archive.namelist() if n.endswith(".pdf") and n != "00-INDEX.pdf"])
            == export.total
        )


def test_logged_out_user_logs_in_from_the_email_link_and_the_download_starts(
    emailed_export, watched, tmp_path
):
    export, link = emailed_export
    page = watched.page
    assert link.startswith(watched.base_url)
    page.goto(link)
    page.locator("h1", has_text="Log in").wait_for()
    with page.expect_download() as download_info:
        watched.submit_login("member@acme.test")
    assert_is_the_zip(download_info.value, export, tmp_path)
    assert page.url == f"{watched.base_url}/exports/{export.public_id}"
    prompt = page.locator(".download-prompt")
    expected = f"Download {file_name(export)} ({filesize(export.byte_size)})"
    assert prompt.locator("a", has_text=expected).count() == 1
    assert page.locator("#export-status .badge").inner_text() == "Ready"
    watched.screenshot("email-link-after-login")


def test_logged_in_user_following_the_email_link_downloads_directly(
    emailed_export, watched, tmp_path
):
    export, link = emailed_export
    page = watched.page
    watched.login("member@acme.test")
    start = page.url
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url; }", link)
    assert_is_the_zip(download_info.value, export, tmp_path)
    assert page.url == start


def test_on_a_phone_an_admin_revokes_with_a_reason_and_the_emailed_link_then_shows_it(
    emailed_export, watched
):
    """At 390 px: the admin withdraws the zip from the console with a reason; the requester,
    logged out, follows the ready email's link, logs in and reads why, with nothing to
    download and no Re-order (only an admin may re-order a revoked export)."""
    export, link = emailed_export
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    watched.login("admin@acme.test")
    page.goto(f"{watched.base_url}/admin/exports/{export.public_id}")
    page.click("a:has-text('Revoke…')")
    page.fill("#action-reason", "Sent to the wrong client")
    assert watched.horizontal_overflow() <= 0
    page.click("button:has-text('Yes, revoke')")
    page.locator(".flash", has_text="Revoked").wait_for()
    page.click("button:has-text('Log out')")
    page.locator("h1", has_text="Log in").wait_for()

    log_in_from(watched, link, export)
    status = page.locator("#export-status")
    assert status.locator(".badge").inner_text() == "Revoked"
    assert "Reason: Sent to the wrong client" in status.inner_text()
    assert page.locator(".download-prompt").count() == 0
    assert status.locator("button", has_text="Re-order").count() == 0
    assert watched.horizontal_overflow() <= 0
    watched.screenshot("phone-email-link-revoked")


@pytest.fixture
def emailed_three_zips(world, bucket, worker, mail_sink) -> tuple[Export, str]:
    """A ready export of three zips (each stored with bytes of its own) and the link to its
    part 2 as the ready email, sent by a real worker, has it."""
    export = factories.export_in(
        ExportStatus.COMPLETED, world.member_a, world.project_a, parts=3, mail_due=MailKind.READY
    )
    for part in export.parts:
        s3.put_bytes(part.object_key, f"zip {part.number}".encode(), "application/zip")
    queues.enqueue_mail(export.id, MailKind.READY)
    with worker():
        [mail] = wait_for_mail(mail_sink, 1)
    link = re.search(r"https?://\S+/download\?part=2", text_body(mail)).group(0)
    return reload(export.id), link


def test_logged_out_user_follows_a_three_zip_email_link_sees_the_parts_and_downloads_part_2(
    emailed_three_zips, watched, tmp_path
):
    """At 390 px: after login the page lists the three zips and starts none of them (a
    browser would block several downloads started at once); part 2 is one tap away."""
    export, link = emailed_three_zips
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_from(watched, link, export)
    prompt = page.locator(".download-prompt")
    assert prompt.locator("h2").inner_text() == "Your export is 3 zips"
    labels = [f"Part {n} of 3 — {filesize(export.parts[n - 1].byte_size)}" for n in (1, 2, 3)]
    assert prompt.locator("li a").all_inner_texts() == labels
    assert page.locator("[data-start-download]").count() == 0
    assert watched.horizontal_overflow() <= 0
    watched.screenshot("phone-email-link-three-zips")
    with page.expect_download() as download_info:
        prompt.locator("a", has_text="Part 2 of 3").click()
    download = download_info.value
    assert download.suggested_filename == export.object_keys[1].rsplit("/", 1)[-1]
    download.save_as(tmp_path / "part-2.zip")
    assert (tmp_path / "part-2.zip").read_bytes() == b"zip 2"
    assert [d.part for d in Download.query.all()] == [2]
