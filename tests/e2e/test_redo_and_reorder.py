"""In Chromium at 1366 px and on a 390 px phone: a ready export with failures offers "Export
the 2 records that failed", whose new export's page links back to the export it completes;
an expired export's page says which of its records changed since, lists them (bounded) and
re-orders them as they were while the render cache holds every earlier PDF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Export, ExportItem, ExportStatus, RenderedPdf
from tests import factories
from tests.e2e.browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def with_failures(world) -> Export:
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 4)
    export.warnings = 2
    for item in sorted(export.items, key=lambda item: item.record_id)[:2]:
        item.error = "photo 1 (site.jpg) is damaged"
    db.session.commit()
    return export


def changed_since(world, records: int = 24, changed: int = 22) -> Export:
    """An expired export whose first `changed` records moved on, all its PDFs still cached."""
    export = factories.export_in(ExportStatus.EXPIRED, world.member_a, world.project_a, records)
    items = sorted(export.items, key=lambda item: item.record_id)
    for n, item in enumerate(items):
        item.version, item.fingerprint = (0 if n < changed else 1), f"{n:064x}"
        db.session.add(RenderedPdf(organization_id=export.organization_id,
                                   record_id=item.record_id, fingerprint=item.fingerprint,
                                   sha256="0" * 64, byte_size=1))  # fmt: skip
    db.session.commit()
    return export


def fits(watched) -> None:
    assert watched.horizontal_overflow() <= 0 and watched.controls_off_screen() == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_redo_what_failed_and_re_order_what_changed(world, watched, viewport):
    export, expired = with_failures(world), changed_since(world)
    page = watched.page
    watched.visit_as("member@acme.test", f"/exports/{export.public_id}", viewport)
    button = page.locator("button", has_text="Export the 2 records that failed")
    fits(watched)
    watched.screenshot(f"redo-offered-{viewport['width']}")
    button.click()
    page.locator(".completes", has_text="This export completes").wait_for()
    fits(watched)
    watched.screenshot(f"redo-new-export-{viewport['width']}")
    new = db.session.scalar(select(Export).where(Export.completes_id == export.id))
    assert new.total == 2 and page.url.endswith(f"/exports/{new.public_id}")
    page.locator(".completes a").click()
    page.locator("#export-status", has_text="What failed was exported again").wait_for()
    assert page.locator("button", has_text="that failed").count() == 0

    page.goto(f"{watched.base_url}/exports/{expired.public_id}")
    panel = page.locator(".changes")
    panel.locator("h2", has_text="22 of 24 records changed since").wait_for()
    assert panel.locator(".changed-record").count() == 20
    assert "and 2 more." in panel.inner_text()
    fits(watched)
    watched.screenshot(f"reorder-changes-{viewport['width']}")
    page.get_by_label("as they were in this export").check()
    page.locator("#reorder-form button", has_text="Re-order").click()
    page.get_by_text("with its records as they were then").wait_for()
    again = db.session.scalar(select(Export).where(Export.reordered_from_id == expired.id))
    assert again.options["as_they_were"] is True
    pinned = db.session.scalars(select(ExportItem).where(ExportItem.export_id == again.id))
    assert sorted(i.fingerprint for i in pinned) == [f"{n:064x}" for n in range(24)]
