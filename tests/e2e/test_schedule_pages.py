"""The schedules page and form in Chromium, at 1366 px and on a 390 px phone: scheduled from
the records page's filter, listed with its next run, paused; nothing scrolls sideways."""

from __future__ import annotations

import pytest

from tests.e2e.browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_a_filter_is_scheduled_listed_and_paused(world, watched, viewport):
    page = watched.page
    records = f"/projects/{world.project_a.public_id}/records?kind=issue"
    watched.visit_as("member@acme.test", records, viewport)
    page.click("text=Schedule an export of these records…")
    page.locator("h1", has_text="Schedule an export").wait_for()
    assert page.locator("#schedule-kind").input_value() == "issue"
    assert watched.horizontal_overflow() <= 0 and watched.controls_off_screen() == []
    watched.screenshot(f"schedule-form-{viewport['width']}")
    page.fill("#schedule-name", "Friday issues for the client")
    page.click("button:has-text('Schedule')")
    page.locator(".flash", has_text="runs next on").wait_for()
    line = page.locator(".schedule-line", has_text="Friday issues for the client")
    assert "Next run:" in line.inner_text()
    line.locator("button", has_text="Pause").click()
    page.locator(".schedule-line", has_text="none while paused").wait_for()
    assert watched.horizontal_overflow() <= 0 and watched.controls_off_screen() == []
    watched.screenshot(f"schedules-{viewport['width']}")
