"""The organisation-wide records page in Chromium at 1366 px and on a 390 px phone: narrow to
one project, tick, widen to all, tick another project's record, export both as one."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests import factories
from tests.e2e.browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "390px"])
def test_records_of_two_projects_are_selected_and_exported_together(world, watched, viewport):
    depot = factories.project(world.org_a, "Quay Depot", "QD")
    tower = factories.records(world.project_a, 3)
    quay = [factories.record(depot, kind="issue", n=n) for n in (101, 102)]
    db.session.commit()
    page = watched.page
    page.set_viewport_size(viewport)
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/")
    page.click("text=All records, across projects")
    expect(page.locator(".results-summary")).to_have_text("Showing 1–5 of 5 records")

    page.select_option("#filter-project", depot.public_id)
    page.wait_for_url(f"**project={depot.public_id}**")
    expect(page.locator(".results-summary")).to_have_text("Showing 1–2 of 2 records")
    page.check(f"#select-{quay[0].public_id}")
    expect(page.locator(".selection-count")).to_have_text("1 selected")
    page.select_option("#filter-project", "")
    expect(page.locator(".results-summary")).to_have_text("Showing 1–5 of 5 records")
    page.check(f"#select-{tower[0].public_id}")
    bar = page.locator(".selection-count")
    expect(bar).to_have_text("2 selected")
    name = "phone" if viewport == PHONE else "desktop"
    watched.screenshot(f"{name}-records-across-projects")
    assert watched.horizontal_overflow() == 0 and watched.controls_off_screen() == []

    page.click("button:has-text('Export 2 records as PDFs')")
    page.wait_for_url("**/exports/*")
    summary = page.locator("main").inner_text()
    assert "Acme Build — 2 records" in summary and "All projects" in summary
    page.click("button:has-text('Select these 2 again')")
    page.wait_for_url("**/records")
    expect(bar).to_have_text("2 selected")
