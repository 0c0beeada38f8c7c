"""Branding in Chromium: an org admin uploads a logo on the organisation settings page; a real
worker's export then shows it on page 1 of a record PDF (pdftoppm: pixels of the logo's colour
in the header band) and in the ready email (read on /dev/mail, its inline image loaded). On a
phone, a hostile SVG is refused with the reason, and the page fits the window."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from portal.devmail import mailbox
from portal.exports import service
from portal.exports.options import ExportOptions
from portal.storage import client as s3
from tests.branding import logos
from tests.branding.test_branded_reports import logo_pixels_in_header_band
from tests.e2e.browser import DESKTOP, LOADED_WIDTH, PHONE
from tests.e2e.test_devmail_phone import app_overrides, sitepack_env  # noqa: F401 (/dev/mail on)
from tests.helpers import reload
from tests.servers import wait_for_mail

pytestmark = pytest.mark.browser
SETTINGS = "/settings/organisation/"


def upload(watched, tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    watched.page.set_input_files("#branding-logo", str(path))
    watched.page.click("button:has-text('Save branding')")


def test_an_uploaded_logo_is_in_the_record_pdf_header_and_the_email(
    app, world, project_records, worker, mail_sink, watched, tmp_path
):
    page = watched.page
    watched.visit_as("admin@acme.test", SETTINGS, DESKTOP)
    page.fill("#branding-footer", "Acme Build Ltd · Company no. 01234567")
    upload(watched, tmp_path, "logo.svg", logos.svg())
    page.locator(".flash", has_text="Branding saved").wait_for()
    assert page.locator("img.logo-preview").evaluate(LOADED_WIDTH) > 0
    watched.screenshot("branding-settings-1366")

    records = project_records(2, photo_every=0)
    ids = [record.id for record in records]
    with worker():
        result = service.request_export(world.member_a, world.project_a, ids, ExportOptions())
        [mail] = wait_for_mail(mail_sink, 1, timeout=120)
    export = reload(result.export.id)
    with zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0]))) as archive:
        first = next(name for name in archive.namelist() if records[0].reference in name)
        assert logo_pixels_in_header_band(archive.read(first), tmp_path) > 200

    folder = Path(app.config["DEV_MAIL_DIR"])
    mailbox.store(folder, "no-reply@sitepack.test", ["member@acme.test"], mail.as_bytes())
    page.goto(f"{watched.base_url}/dev/mail")
    page.click("text=is ready")
    logo = page.frame_locator("iframe.mail-frame").locator("img[alt='Acme Build logo']")
    assert logo.evaluate(LOADED_WIDTH) > 0
    watched.screenshot("branding-email-1366")


def test_on_a_phone_a_hostile_svg_is_refused_and_the_page_fits(world, bucket, watched, tmp_path):
    page = watched.page
    watched.visit_as("admin@acme.test", SETTINGS, PHONE)
    watched.expect_status("/settings/organisation/branding", 400)
    upload(watched, tmp_path, "logo.svg", logos.svg('<image href="https://evil.test/x.png"/>'))
    page.locator(".field-error", has_text="links to another file").wait_for()
    assert page.locator("img.logo-preview").count() == 0
    assert watched.horizontal_overflow() <= 0
    upload(watched, tmp_path, "logo.png", logos.raster("PNG"))
    page.locator("img.logo-preview").wait_for()
    assert watched.horizontal_overflow() <= 0
    watched.screenshot("branding-settings-390")
