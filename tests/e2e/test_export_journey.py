"""The whole journey in a real browser: select → export → watch → download → expire → re-order
→ cancel; polling stops in terminal states; no console errors, no CSP violations."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.formatting import filesize, when
from portal.models import Export, ExportStatus, utcnow
from tests import factories
from tests.helpers import reload
from tests.polling import wait_until

pytestmark = pytest.mark.browser

PROGRESS_RECORDER = """
document.addEventListener("htmx:afterSwap", () => {
  const status = document.querySelector("#export-status");
  const bar = status && status.querySelector("progress");
  if (bar) (window.__progress = window.__progress || []).push(Number(bar.value));
  if (status) (window.__texts = window.__texts || []).push(status.innerText);
});
"""
# What the status section says while the PDFs are made (badge, headline, percentage and ETA).
BUILDING = re.compile(
    r"^Building PDFs\s.*^Building your PDFs: (\d+) of 120\.$.*^\d+% · .*left", re.S | re.M
)


def select_all_inspections(watched, project) -> None:
    page = watched.page
    page.goto(f"{watched.base_url}/projects/{project.public_id}/records")
    page.select_option("#filter-kind", "inspection")
    page.wait_for_url("**kind=inspection**")
    page.click("text=Select all 120 matching")
    page.locator(".selection-count", has_text="120 selected").wait_for()


def wait_for_state_text(page, text: str, timeout: float = 120_000) -> None:
    """Locator waits: the CSP forbids eval, which page.wait_for_function relies on."""
    page.locator("#export-status", has_text=text).wait_for(timeout=timeout)


def progress_seen(page) -> list[float]:
    return page.evaluate("window.__progress || []")


def texts_seen(page) -> list[str]:
    """The status section's visible text after each poll swapped it in."""
    return page.evaluate("window.__texts || []")


def status_text(page) -> str:
    return page.inner_text("#export-status")


def assert_queued(page) -> None:
    text = status_text(page)
    assert page.inner_text("#export-status .badge") == "Queued"
    assert "Queued — waiting for a free export worker." in text
    assert "Ready" not in text and "Download" not in text


def assert_ready(page, export: Export) -> None:
    """Ready, with the size and expiry the row holds, and a download button."""
    text = status_text(page)
    assert page.inner_text("#export-status .badge") == "Ready"
    assert f"Your zip is ready: {filesize(export.byte_size)}." in text
    assert "The download expires in " in text and f"on {when(export.expires_at)}." in text
    assert page.locator("#export-status a", has_text="Download zip").count() == 1


def test_select_export_watch_download_expire_reorder(
    world, project_records, worker, watched, tmp_path
):
    # 120 inspections: rendering lasts several polls, so the bar is seen moving.
    project_records(480, photo_every=24)
    page = watched.page
    page.add_init_script(PROGRESS_RECORDER)
    watched.login("member@acme.test")
    select_all_inspections(watched, world.project_a)
    watched.screenshot("01-records-selected")

    page.click("button:has-text('Export 120 records as PDFs')")
    page.wait_for_url("**/exports/*")
    assert_queued(page)
    watched.screenshot("02-export-requested")
    with worker():
        wait_until(lambda: any(v > 0 for v in progress_seen(page)), timeout=60)
        watched.screenshot("03-processing")
        wait_for_state_text(page, "Your zip is ready")
        watched.screenshot("04-completed")
        seen = progress_seen(page)
        assert seen == sorted(seen) and any(0 < v < 120 for v in seen), f"bar went {seen}"
        building = [m for m in map(BUILDING.search, texts_seen(page)) if m]
        assert building and all(0 <= int(m.group(1)) <= 120 for m in building), texts_seen(page)
        assert_ready(page, reload(Export.query.one().id))

        status_url = page.url.split("?")[0] + "/status"
        polls = watched.requests[status_url]
        page.wait_for_timeout(4500)  # an observation window: no poll may happen in it
        assert watched.requests[status_url] == polls
        assert page.get_attribute("#export-status", "hx-trigger") is None

        with page.expect_download() as download_info:
            page.click("text=Download zip")
        target = tmp_path / "export.zip"
        download_info.value.save_as(target)
        names = zipfile.ZipFile(io.BytesIO(target.read_bytes())).namelist()
        assert len([n for n in names if n.endswith(".pdf") and n != "00-INDEX.pdf"]) == 120

        export = Export.query.one()
        db.session.execute(db.update(Export).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        page.reload()
        wait_for_state_text(page, "This export expired on")
        watched.screenshot("05-expired")
        page.click("button:has-text('Re-order')")
        page.wait_for_url(lambda url: export.public_id not in url)
        wait_for_state_text(page, "Your zip is ready")
    assert Export.query.count() == 2


def test_cancel_a_large_export_from_its_page(world, project_records, worker, watched):
    project_records(400, photo_every=0)
    page = watched.page
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records")
    page.click("text=Select all 400 records")
    page.locator(".selection-count", has_text="400 selected").wait_for()
    with worker():
        page.click("button:has-text('Export 400 records as PDFs')")
        page.wait_for_url("**/exports/*")
        export = Export.query.one()
        assert export.queue_name == "exports-large"
        wait_for_state_text(page, "Building your PDFs", timeout=60_000)
        page.click("summary:has-text('Cancel export')")
        confirm = page.locator("details.confirm[open] button", has_text="Yes, cancel the export")
        for _ in range(2):  # two polls replace the fragment around the open question
            with page.expect_response(lambda r: r.url.endswith("/status"), timeout=20_000):
                pass
        assert confirm.is_visible(), "the question must survive the status poll's swaps"
        assert reload(export.id).status == "processing", "asking must not cancel"
        confirm.click()
        wait_for_state_text(page, "was cancelled")
        watched.screenshot("06-cancelled")
        assert reload(export.id).status == "cancelled"


STORAGE_DOWN = (
    "Sitepack's file storage could not be reached, so the zip could not be saved. "
    "Nothing is wrong with your records: select Retry in a few minutes."
)
# Each state's columns beyond what factories.export_in gives it, then its badge and a
# sentence the page must show.
STATE_ROWS = {
    ExportStatus.PENDING: ({}, "Queued", "Queued — waiting for a free export worker."),
    ExportStatus.FAILED: ({"error": STORAGE_DOWN}, "Failed", STORAGE_DOWN),
    ExportStatus.REVOKED: ({}, "Revoked", "An administrator withdrew this export"),
}


@pytest.mark.parametrize("state", list(STATE_ROWS))
def test_each_remaining_state_is_shown_plainly(world, watched, state):
    columns, badge, sentence = STATE_ROWS[state]
    export = factories.export_in(state, world.member_a, world.project_a, total=120, **columns)
    watched.login("member@acme.test")
    watched.page.goto(f"{watched.base_url}/exports/{export.public_id}")
    watched.screenshot(f"07-{state}")
    assert watched.page.inner_text("#export-status .badge") == badge
    assert sentence in status_text(watched.page)
    assert watched.page.locator("text=Download zip").count() == 0


def test_a_failed_export_says_why_and_offers_retry_not_a_download(
    world, project_records, worker, watched, sitepack_env
):
    """A real failure: the worker's bucket does not exist, so the upload fails."""
    project_records(8, photo_every=0)
    page = watched.page
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records")
    page.click("text=Select all 8 records")
    page.click("button:has-text('Export 8 records as PDFs')")
    page.wait_for_url("**/exports/*")
    with worker(S3_BUCKET=f"{sitepack_env['S3_BUCKET']}-gone"):
        wait_for_state_text(page, "This export could not be completed")
    export = Export.query.one()
    assert reload(export.id).status == "failed"
    watched.screenshot("08-failed-for-real")
    assert page.inner_text("#export-status .badge") == "Failed"
    assert page.inner_text("#export-status .error-reason") == reload(export.id).error
    assert page.locator("#export-status button", has_text="Retry").count() == 1
    text = status_text(page)
    assert "Ready" not in text and "Download" not in text


def test_when_the_session_ends_while_polling_the_whole_page_goes_to_login(world, watched):
    export = factories.export_in(
        ExportStatus.PROCESSING, world.member_a, world.project_a, total=10, done=3
    )
    watched.expect_status(f"/exports/{export.public_id}/status", 401)
    watched.login("member@acme.test")
    watched.page.goto(f"{watched.base_url}/exports/{export.public_id}")
    watched.page.context.clear_cookies()
    watched.page.wait_for_url(lambda url: "/login?next=" in url)
    assert watched.page.url.endswith(f"next=/exports/{export.public_id}")
    assert watched.page.locator("#export-status").count() == 0
    assert watched.page.locator("h1", has_text="Log in").count() == 1
