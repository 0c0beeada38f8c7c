"""An org admin in a real browser: finds an expired export in the console, re-orders it for
its requester, watches it complete, and reads the 30-day charts. No console errors, no CSP
violations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.models import Export, ExportStatus, utcnow
from tests import factories
from tests.servers import wait_for_mail

pytestmark = pytest.mark.browser


def expired_export(world, records) -> Export:
    return factories.export_in(
        ExportStatus.EXPIRED,
        world.member_a,
        world.project_a,
        records,
        finished_at=utcnow() - timedelta(days=1),
        created_at=utcnow() - timedelta(days=8),
    )


def test_admin_reorders_an_expired_export_from_the_console_and_watches_it_complete(
    world, project_records, worker, watched, mail_sink
):
    expired = expired_export(world, project_records(12, photo_every=4))
    page = watched.page
    watched.login("admin@acme.test")
    page.click("nav.topnav >> text=Admin")
    page.select_option("#f-status", "expired")
    page.click("button:has-text('Apply')")
    page.wait_for_url("**status=expired**")
    watched.screenshot("admin-01-console-expired")

    page.click(f"a[href='/admin/exports/{expired.public_id}']")
    page.click("text=Re-order for the requester…")
    page.locator("h1", has_text="Re-order for the requester?").wait_for()
    with worker():
        page.click("button:has-text('Yes, re-order for the requester')")
        page.locator(".flash", has_text="they will get the ready email").wait_for()
        assert "Re-ordered by an admin" in page.inner_text(".timeline")
        page.click("text=Follow it live")
        page.locator("#export-status", has_text="Your zip is ready").wait_for(timeout=120_000)
        [mail] = wait_for_mail(mail_sink, 1)
    assert mail["X-Envelope-To"] == "member@acme.test"

    page.goto(f"{watched.base_url}/admin/exports")
    states = page.locator("table.admin-table .badge").all_inner_texts()
    assert sorted(states) == ["Expired", "Ready"]
    watched.screenshot("admin-02-console-after-reorder")

    page.click(".admin-tabs >> text=Numbers")
    assert page.locator("svg.chart").count() == 3
    assert page.locator("svg.chart rect.chart-bar").count() == 60
    watched.screenshot("admin-03-charts")
