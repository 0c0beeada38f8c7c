"""The Verify page in Chromium, logged out, on files a real worker made: a record PDF and the
zip verify, the PDF with one byte changed does not, the 21st check in a minute is refused, no
request the page makes carries the file, and the link in the PDF's footer opens its version
(at 1366 and 390 px). One export, one test: the worker is the slow part."""

from __future__ import annotations

import io
import re
import zipfile

import pypdf
import pytest

from portal.exports import service
from portal.exports.options import ExportOptions
from portal.storage import client as s3
from tests.e2e.browser import DESKTOP, PHONE
from tests.helpers import reload
from tests.polling import wait_until

pytestmark = pytest.mark.browser
VERIFY_LINK = re.compile(r"https?://\S+/v/[a-z2-7]{16}")
SPEND = (
    "async n => { for (let i = 0; i < n; i++) "
    "await fetch('/verify/check?sha256=' + 'f'.repeat(64)) }"
)


@pytest.fixture
def exported(world, project_records, worker, tmp_path):
    """Two records exported by a real worker: the zip, its first PDF and that PDF's record."""
    records = project_records(2, photo_every=2)
    with worker():
        result = service.request_export(
            world.member_a, world.project_a, [r.id for r in records], ExportOptions()
        )
        wait_until(lambda: reload(result.export.id).status == "completed", timeout=120)
    data = s3.get_bytes(reload(result.export.id).object_keys[0])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".pdf"))
        pdf = archive.read(name)
    files = {"zip": tmp_path / "export.zip", "pdf": tmp_path / "record.pdf"}
    files["zip"].write_bytes(data)
    files["pdf"].write_bytes(pdf)
    changed = bytearray(pdf)
    changed[len(pdf) // 2] ^= 0x01
    (files.setdefault("changed", tmp_path / "changed.pdf")).write_bytes(bytes(changed))
    record = next(r for r in records if r.reference in name)
    return files, record, pdf


def verdict(watched, path) -> str:
    result = watched.page.locator("#verify-result")
    result.evaluate("node => { node.textContent = '' }")
    watched.page.set_input_files("#verify-file", str(path))
    result.filter(has_text=re.compile("Authentic|Not a file|Too many")).wait_for()
    return result.inner_text()


def test_anyone_verifies_an_exports_files_without_uploading_them_and_opens_the_qr_link(
    exported, watched
):
    files, record, pdf = exported
    page, bodies = watched.page, []
    page.on("request", lambda r: bodies.append((r.method, r.url, r.post_data_buffer or b"")))
    page.goto(f"{watched.base_url}/verify")

    assert verdict(watched, files["pdf"]).startswith(f"Authentic: {record.reference} version 1")
    assert verdict(watched, files["changed"]) == "Not a file Sitepack produced."
    assert verdict(watched, files["zip"]).startswith("Authentic: zip 1 of an export")
    watched.expect_status("/verify/check", 429)
    page.evaluate(SPEND, 20 - 3)  # the rest of the minute's 20 checks
    assert verdict(watched, files["pdf"]).startswith("Too many checks")

    checks = [(m, url) for m, url, _ in bodies if "/verify/check" in url]
    assert len(checks) == 21 and {m for m, _ in checks} == {"GET"}
    assert all(body == b"" for _, _, body in bodies)
    assert not any(pdf[:4096].hex() in url for _, url, _ in bodies)
    the_qr_link_names_its_version_and_fits_a_phone(watched, files, record)


def the_qr_link_names_its_version_and_fits_a_phone(watched, files, record) -> None:
    footer = pypdf.PdfReader(files["pdf"]).pages[0].extract_text()
    link = VERIFY_LINK.search(footer).group(0)
    assert link.startswith(watched.base_url)
    for viewport in (DESKTOP, PHONE):
        watched.page.set_viewport_size(viewport)
        watched.page.goto(link)
        named = watched.page.locator(".verify-named").inner_text()
        assert f"{record.reference} version 1" in named and "current version" in named
        assert watched.horizontal_overflow() == 0
        watched.screenshot(f"verify-{viewport['width']}")
