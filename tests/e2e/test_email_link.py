"""The download link in the ready email, followed in Chromium: logged out, then logged in.

Chromium applies the CSP's `form-action 'self'` to the whole redirect chain of a form POST,
so a login that redirected on to the download (and from there to S3) would be blocked and
leave the user on the login form; `requests` and Flask's test client would not notice.
"""

from __future__ import annotations

import re
import zipfile

import pytest

from portal.exports import service
from portal.formatting import filesize
from portal.models import Export
from tests.helpers import reload
from tests.servers import text_body, wait_for_mail

pytestmark = pytest.mark.browser


@pytest.fixture
def emailed_export(world, project_records, worker, mail_sink) -> tuple[Export, str]:
    """Org A's member exports 6 records; a real worker builds the zip and sends the ready
    email. The export and the download link as the email has it."""
    ids = [record.id for record in project_records(6, photo_every=3)]
    with worker():
        result = service.request_export(
            world.member_a, world.project_a, ids, service.ExportOptions()
        )
        [mail] = wait_for_mail(mail_sink, 1, timeout=120)
    link = re.search(r"https?://\S+/download", text_body(mail)).group(0)
    return reload(result.export.id), link


def file_name(export: Export) -> str:
    return export.object_key.rsplit("/", 1)[-1]


def assert_is_the_zip(download, export: Export, tmp_path) -> None:
    assert download.suggested_filename == file_name(export)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with zipfile.ZipFile(target) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == export.total


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
