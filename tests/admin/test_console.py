"""The exports console: filters, sort, paging, and what each row shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import Download, utcnow
from tests.factories import login


def listed(client, query: str = "") -> list[str]:
    """Public ids of the exports on the console page, in order."""
    response = client.get(f"/admin/exports{query}")
    assert response.status_code == 200, response.status_code
    return re.findall(r'href="/admin/exports/([A-Za-z0-9_-]+)"', response.get_data(as_text=True))


@pytest.fixture
def admin(client, world):
    login(client, "admin@acme.test")
    return client


def test_status_filter_includes_derived_expired(admin, make_export):
    lapsed = make_export(status="completed", expires_at=utcnow() - timedelta(hours=1))
    swept = make_export(status="expired")
    ready = make_export(status="completed", expires_at=utcnow() + timedelta(days=1))
    assert set(listed(admin, "?status=expired")) == {lapsed.public_id, swept.public_id}
    assert listed(admin, "?status=completed") == [ready.public_id]


def test_requester_filter_matches_email_or_name(admin, world, make_export):
    by_admin = make_export(requester=world.admin_a)
    make_export(requester=world.member_a)
    assert listed(admin, "?requester=ADMIN@acme") == [by_admin.public_id]
    assert listed(admin, "?requester=%25") == []


def test_project_and_date_filters_narrow_the_list(admin, world, make_export):
    from tests import factories

    other = factories.project(world.org_a, "Second Site", "SS")
    db.session.commit()
    old = make_export(created_at=datetime(2026, 1, 5, 12))
    elsewhere = make_export(project=other, created_at=datetime(2026, 2, 5, 12))
    assert listed(admin, f"?project={other.public_id}") == [elsewhere.public_id]
    assert listed(admin, "?from=2026-01-01&to=2026-01-31") == [old.public_id]


def test_sort_by_records_ascending(admin, make_export):
    small, big = make_export(total=2), make_export(total=900)
    assert listed(admin, "?sort=records&dir=asc") == [small.public_id, big.public_id]
    assert listed(admin, "?sort=records&dir=desc") == [big.public_id, small.public_id]


def test_row_shows_requester_size_and_download_count(admin, world, make_export):
    export = make_export(
        status="completed", byte_size=3 * 1024 * 1024, expires_at=utcnow() + timedelta(days=1)
    )
    for _ in range(2):
        db.session.add(
            Download(export_id=export.id, user_id=world.member_a.id, ip_address="10.0.0.1")
        )
    db.session.commit()
    page = admin.get("/admin/exports").get_data(as_text=True)
    row = page[page.index(export.public_id) :].split("</tr>")[0]
    assert "member@acme.test" in row
    assert "3.0 MB" in row and "Ready" in row
    assert 'title="2 download links sent">1</td>' in row


@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?sort=password&dir=sideways",
        "?from=yesterday&to=2026-13-45",
        "?page=abc",
        "?page=0",
        "?page=1000000000000000000000000000000",
        "?requester=%00x",
        "?project=%00",
        "?project=not-a-real-project",
    ],
)
def test_bad_filter_input_is_ignored_never_an_error(admin, make_export, query):
    make_export()
    response = admin.get(f"/admin/exports{query}")
    assert response.status_code == 200


def test_another_organisations_project_is_not_applied_and_says_so(admin, world, make_export):
    make_export()
    page = admin.get(f"/admin/exports?project={world.project_b.public_id}").get_data(as_text=True)
    assert "Not applied" in page and "not one of your projects" in page


def test_pages_of_fifty_with_a_clear_page_past_the_end(admin, make_export):
    for _ in range(51):
        make_export()
    assert len(listed(admin)) == 50
    assert len(listed(admin, "?page=2")) == 1
    past = admin.get("/admin/exports?page=9").get_data(as_text=True)
    assert "past the end" in past
