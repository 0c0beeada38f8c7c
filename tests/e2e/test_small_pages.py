"""Smaller pages a new user tripped on, in Chromium at 1366 px and on a 390 px phone: the revoke
confirmation, the API reference, the Numbers page, the admin's exports table, and the records
filters' history. No page scrolls sideways; each is also looked at in its screenshot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import ExportStatus, utcnow
from tests import factories
from tests.e2e.browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
BOX = (
    "(selector) => { const b = document.querySelector(selector).getBoundingClientRect(); "
    "return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, height: b.height}; }"
)


def box(page, selector: str) -> dict:
    return page.evaluate(BOX, selector)


def shown(watched, viewport: dict, name: str) -> None:
    """Screenshot it, and it fits the window's width."""
    watched.screenshot(f"{name}-{viewport['width']}")
    assert watched.horizontal_overflow() == 0, name


@VIEWPORTS
def test_the_revoke_confirmation_stacks_label_reason_and_one_row_of_buttons(
    world, watched, viewport
):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
    page = watched.page
    watched.visit_as(
        "admin@acme.test", f"/admin/exports/{export.public_id}/confirm/revoke", viewport
    )
    label, reason = box(page, "label[for=action-reason]"), box(page, "#action-reason")
    yes = box(page, ".confirm-form button[type=submit]")
    no = box(page, ".confirm-form a.button")
    assert label["bottom"] <= reason["top"] and reason["bottom"] <= min(yes["top"], no["top"])
    form = box(page, ".confirm-form")
    assert reason["right"] - reason["left"] > 0.9 * (form["right"] - form["left"])
    assert abs(yes["top"] - no["top"]) < 4, "the two buttons share one row"
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.confirm-form button')).lineHeight)"
    )
    assert max(yes["height"], no["height"]) < 2 * line, "a button's label wrapped"
    shown(watched, viewport, "admin-confirm-revoke")


@VIEWPORTS
def test_the_api_reference_shows_code_not_markdown_backticks(world, watched, viewport):
    page = watched.page
    watched.visit_as("member@acme.test", "/api/v1/reference", viewport)
    assert "`" not in page.inner_text("main")
    assert page.locator("#op-create_export code, .api-op p code").count() > 0
    shown(watched, viewport, "api-reference")


@VIEWPORTS
def test_the_numbers_page_writes_times_in_seconds_minutes_and_hours(world, watched, viewport):
    ready = utcnow() - timedelta(hours=1)
    factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        2,
        created_at=ready - timedelta(seconds=6),
        finished_at=ready,
    )
    page = watched.page
    watched.visit_as("admin@acme.test", "/admin/stats", viewport)
    expect(page.locator(".headline-figures")).to_contain_text("6 s median time to ready")
    assert "0.1 min" not in page.content()
    shown(watched, viewport, "admin-numbers")


@VIEWPORTS
def test_the_admin_exports_table_shows_state_and_size_without_an_inner_scroll(
    world, watched, viewport
):
    factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
    page = watched.page
    watched.visit_as("admin@acme.test", "/admin/exports", viewport)
    shown(watched, viewport, "admin-exports")
    wrap = ".admin-table-wrap"
    assert page.evaluate(f"(w => w.scrollWidth <= w.clientWidth)(document.querySelector('{wrap}'))")
    for cell in ("td.export-state", "td.export-size"):
        place = box(page, cell)
        assert place["left"] >= 0 and place["right"] <= viewport["width"], cell
    expect(page.locator("td.export-state")).to_contain_text("Ready")


@VIEWPORTS
def test_apply_on_filters_already_applied_adds_no_history_entry(world, watched, viewport):
    factories.records(world.project_a, 12)
    db.session.commit()
    page = watched.page
    watched.visit_as("member@acme.test", f"/projects/{world.project_a.public_id}/records", viewport)
    page.select_option("#filter-kind", "issue")
    page.wait_for_url("**kind=issue**")
    entries = page.evaluate("history.length")
    with page.expect_response(lambda r: "kind=issue" in r.url):
        page.click("#filter-form button[type=submit]")
    page.wait_for_load_state()
    assert page.evaluate("history.length") == entries
    page.go_back()
    page.wait_for_url(lambda url: url.endswith("/records"))
    shown(watched, viewport, "records-after-back")
