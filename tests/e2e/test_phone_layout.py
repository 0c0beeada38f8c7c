"""Every page a member and an admin use, on a 390 x 844 phone: nothing wider than the screen.

Each page is screenshotted (test-artifacts/screenshots/phone-*.png) for a person to look at;
the assertion is the one a thumb notices: the page must not scroll sideways.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Export, ExportStatus, SelectedRecord, utcnow
from portal.storage import client as s3
from tests import factories
from tests.e2e.browser import PHONE

pytestmark = pytest.mark.browser

LONG_ERROR = (
    "Sitepack's file storage could not be reached, so the zip could not be saved. "
    "Nothing is wrong with your records: select Retry in a few minutes."
)


def export_states(world) -> dict[str, Export]:
    """One export of org A's member in every state the pages draw differently ("expired": a
    ready one past its expiry; "in-parts": a ready one of three zips), with the longest texts
    those pages show."""
    ready = {
        "parts": ["exports/1/x/attempt-1/Sitepack-HVT-2026-03-02-1200-records.zip"],
        "byte_size": 1_234_567_890,
    }
    rows = {
        "pending": (ExportStatus.PENDING, {}),
        "processing": (ExportStatus.PROCESSING, {"done": 480}),
        "completed": (ExportStatus.COMPLETED, {**ready, "warnings": 3}),
        "in-parts": (ExportStatus.COMPLETED, {**ready, "parts": 3, "byte_size": 12_345_678_901}),
        "failed": (ExportStatus.FAILED, {"error": LONG_ERROR}),
        "expired": (ExportStatus.COMPLETED, {**ready, "expires_at": utcnow() - timedelta(hours=1)}),
        "cancelled": (ExportStatus.CANCELLED, {}),
        "revoked": (ExportStatus.REVOKED, ready),
    }
    return {
        name: factories.export_in(state, world.member_a, world.project_a, total=1200, **columns)
        for name, (state, columns) in rows.items()
    }


@pytest.fixture
def phone_world(world, project_records, bucket):
    """Records with photos, a selection of some of them, and exports in every state (the
    ready one with its zip in the bucket, for the download prompt to fetch)."""
    records = project_records(30, photo_every=10)
    long = "Formwork ties under-tightened on the north face; the pour was not stopped. " * 3
    records[0].kind, records[0].disposition = "ncr", "return_to_supplier"
    records[0].raised_by = records[0].closed_by = "Priya Shah-Montgomery (Site Engineer)"
    records[0].closed_at, records[0].sign_off_date = utcnow(), utcnow().date()
    records[0].root_cause = records[0].corrective_action = long
    records[0].sign_off_name, records[0].sign_off_role = "Declan Murphy", "Site Manager"
    for record in records[:7]:
        db.session.add(
            SelectedRecord(
                user_id=world.member_a.id, project_id=world.project_a.id, record_id=record.id
            )
        )
    db.session.commit()
    exports = export_states(world)
    s3.boto().put_object(Bucket=bucket, Key=exports["completed"].object_keys[0], Body=b"PK")
    return records, exports


def overflow_of(watched, name: str, path: str, status: int = 200) -> dict[str, object]:
    """Open `path`, save a screenshot, and answer {name: what sticks out} if the page scrolls
    sideways or a control lies beyond the screen's edge."""
    if status != 200:
        watched.expect_status(path, status)
    response = watched.page.goto(f"{watched.base_url}{path}")
    assert response.status == status, (path, response.status)
    watched.screenshot(f"phone-{name}")
    excess, clipped = watched.horizontal_overflow(), watched.controls_off_screen()
    return {name: (excess, clipped)} if excess > 0 or clipped else {}


def test_no_member_page_scrolls_sideways_on_a_phone(phone_world, watched):
    records, exports = phone_world
    project = records[0].project.public_id
    watched.page.set_viewport_size(PHONE)
    overflows = overflow_of(watched, "login", "/login")
    watched.login("member@acme.test")
    pages = {
        "home": "/",
        "records-selected": f"/projects/{project}/records",
        "records-filtered": f"/projects/{project}/records?kind=issue",
        "record-detail": f"/projects/{project}/records/{records[0].public_id}",
        "my-exports": "/exports",
        **{f"export-{state}": f"/exports/{e.public_id}" for state, e in exports.items()},
        "export-download-prompt": f"/exports/{exports['completed'].public_id}?download=1",
        "export-download-prompt-parts": f"/exports/{exports['in-parts'].public_id}?download=1",
    }
    for name, path in pages.items():
        overflows |= overflow_of(watched, name, path)
    overflows |= overflow_of(watched, "not-found", "/no-such-page", status=404)
    assert overflows == {}


def test_no_admin_page_scrolls_sideways_on_a_phone(phone_world, watched):
    _, exports = phone_world
    ready = exports["completed"].public_id
    watched.page.set_viewport_size(PHONE)
    watched.login("admin@acme.test")
    pages = {
        "admin-exports": "/admin/exports",
        "admin-export": f"/admin/exports/{ready}",
        "admin-export-parts": f"/admin/exports/{exports['in-parts'].public_id}",
        "admin-export-failed": f"/admin/exports/{exports['failed'].public_id}",
        "admin-confirm": f"/admin/exports/{ready}/confirm/revoke",
        "admin-queues": "/admin/queues",
        "admin-stats": "/admin/stats",
    }
    overflows: dict[str, object] = {}
    for name, path in pages.items():
        overflows |= overflow_of(watched, name, path)
    overflows |= overflow_of(watched, "admin-not-found", "/admin/exports/nope", status=404)
    assert overflows == {}
