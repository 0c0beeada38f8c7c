"""The records page in Debian's Chromium: htmx swaps, pushed URLs, ticks and back/forward."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests import factories
from tests.e2e.browser import PHONE

pytestmark = pytest.mark.browser


def test_filters_ticks_and_back_work_in_a_real_browser(world, watched):
    factories.records(world.project_a, 12)
    db.session.commit()
    page = watched.page
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records")
    page.evaluate("window.sameDocument = true")

    page.select_option("#filter-kind", "issue")
    page.wait_for_url("**kind=issue**")
    expect(page.locator(".results-summary")).to_have_text("Showing 1–3 of 3 records")
    page.locator("tbody input[type=checkbox]").first.check()
    expect(page.locator(".selection-count")).to_have_text("1 selected")
    page.click("text=Select all 3 matching")
    expect(page.locator(".selection-count")).to_have_text("3 selected")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)
    assert page.evaluate("window.sameDocument") is True

    page.go_back()
    expect(page.locator(".results-summary")).to_have_text("Showing 1–12 of 12 records")
    assert page.url.endswith("/records")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)
    expect(page.locator("#filter-kind")).to_have_value("")


def test_export_options_survive_ticking_more_records(world, watched):
    factories.records(world.project_a, 5)
    db.session.commit()
    page = watched.page
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records")
    page.select_option("#export-paper", "Letter")
    page.check("#export-originals")
    page.locator("tbody input[type=checkbox]").first.check()
    expect(page.locator(".selection-count")).to_have_text("1 selected")
    page.click("text=Select all 5 records")
    expect(page.locator(".selection-count")).to_have_text("5 selected")
    expect(page.locator("#export-paper")).to_have_value("Letter")
    expect(page.locator("#export-originals")).to_be_checked()


def test_hidden_picks_are_named_dropped_in_one_click_and_the_export_clears_the_selection(
    world, watched
):
    made = factories.records(world.project_a, 12)
    db.session.commit()
    page = watched.page
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records")
    for record in made[1:3]:
        page.check(f"#select-{record.public_id}")
    expect(page.locator(".selection-count")).to_have_text("2 selected")
    page.select_option("#filter-kind", "inspection")
    page.wait_for_url("**kind=inspection**")
    page.click("text=Select all 3 matching")
    bar = page.locator(".selection-count")
    expect(bar).to_have_text("5 selected: 3 matching this filter and 2 from earlier")
    watched.screenshot("selection-hidden-picks")
    page.click("button:has-text('Only these 3')")
    expect(bar).to_have_text("3 selected")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)

    page.click("button:has-text('Export 3 records as PDFs')")
    page.wait_for_url("**/exports/*")
    page.click("button:has-text('Select these 3 again')")
    page.wait_for_url(f"**/projects/{world.project_a.public_id}/records")
    expect(bar).to_have_text("3 selected")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)


def test_styles_set_through_the_cssom_do_not_turn_into_csp_violations_on_swaps(world, watched):
    """Extensions (and Playwright's screenshots) set inline styles on inputs through the CSSOM,
    which the CSP allows; htmx's settle step copied them onto the swapped-in inputs with
    setAttribute, which it blocks: three "inline style" violations for three ticked rows."""
    factories.records(world.project_a, 12)
    db.session.commit()
    page = watched.page
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records?kind=issue")
    page.click("text=Select all 3 matching")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)
    page.evaluate("document.querySelectorAll('input').forEach(i => { i.style.color = 'red'; })")
    page.click("text=Clear selection")
    expect(page.locator(".selection-count")).to_have_text("0 selected")
    assert watched.violations == []


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE], ids=["1366", "390"])
def test_the_selection_bar_estimates_the_export_as_boxes_are_ticked(world, watched, four, viewport):
    page = watched.page
    page.set_viewport_size(viewport)
    watched.login("member@acme.test")
    page.goto(f"{watched.base_url}/projects/{world.project_a.public_id}/records")
    estimate = page.locator("#selection-estimate")
    expect(estimate).to_have_count(0)
    page.check(f"#select-{four[0].public_id}")
    expect(estimate).to_contain_text("1 record, 0 photos · about 88.8 KB")
    expect(estimate).to_contain_text("100 % already rendered")
    page.check(f"#select-{four[1].public_id}")
    expect(estimate).to_contain_text("2 records, 2 photos · about 431.4 KB")
    expect(estimate).to_contain_text("original photos too: +4.8 MB")
    watched.screenshot(f"selection-estimate-{viewport['width']}")
    assert watched.horizontal_overflow() == 0
