"""The organisation-wide records page: every project's records with the project page's filters
plus a project filter, a selection across projects, and one export of it, tenant-scoped."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from portal.exports import wording
from portal.extensions import db
from portal.models import Export, ExportItem, ExportStatus, Record, utcnow
from tests import factories
from tests.helpers import csrf, csrf_headers, reload
from tests.records.helpers import HTMX, references


@pytest.fixture
def two_projects(world):
    """Org A's Harbour View Tower (3 records) and Quay Depot (2); org B's one record."""
    depot = factories.project(world.org_a, "Quay Depot", "QD")
    tower = factories.records(world.project_a, 3)
    quay = [factories.record(depot, kind="issue", n=n) for n in (101, 102)]
    theirs = factories.record(world.project_b, kind="task", n=900)
    db.session.commit()
    return depot, tower, quay, theirs


def everywhere(path: str = "/records", **args) -> str:
    return f"{path}?{urlencode(args)}" if args else path


def test_the_page_lists_every_project_of_the_organisation_and_no_other(member, world, two_projects):
    depot, tower, quay, theirs = two_projects
    html = member.get(everywhere()).get_data(as_text=True)

    shown = set(references(html))
    assert shown == {r.reference for r in tower + quay}
    assert theirs.reference not in html and "Bravo Depot" not in html
    assert '<td class="col-project">Quay Depot</td>' in html
    assert f'<option value="{depot.public_id}"' in html  # the project filter
    assert world.project_b.public_id not in html


def test_the_project_filter_narrows_and_another_organisations_project_matches_nothing(
    member, world, two_projects
):
    depot, tower, quay, theirs = two_projects
    narrowed = member.get(everywhere(project=depot.public_id, kind="issue"), headers=HTMX)
    assert set(references(narrowed.get_data(as_text=True))) == {r.reference for r in quay}

    foreign = member.get(everywhere(project=world.project_b.public_id)).get_data(as_text=True)
    assert references(foreign) == [] and theirs.reference not in foreign
    ignored = member.get(everywhere(project="../x")).get_data(as_text=True)
    assert "not a project id" in ignored


def test_select_all_matching_across_projects_then_export_them_as_one(member, world, two_projects):
    depot, tower, quay, _ = two_projects
    response = member.post(everywhere("/selection/matching"), headers=csrf_headers(member, HTMX))
    assert "<strong>5</strong> selected" in response.get_data(as_text=True)
    # The organisation-wide selection is the project pages' selections together.
    tower_page = member.get(f"/projects/{world.project_a.public_id}/records").get_data(True)
    assert "<strong>3</strong> selected" in tower_page

    created = member.post("/exports", data={"project": "", "csrf_token": csrf(member)})
    assert created.status_code == 303
    export = db.session.scalars(select(Export)).one()
    items = select(ExportItem.record_id).where(ExportItem.export_id == export.id)
    exported = set(db.session.scalars(select(Record.project_id).where(Record.id.in_(items))))
    assert export.project_id is None and exported == {world.project_a.id, depot.id}
    day = utcnow().date()
    assert wording.title(export) == wording.default_title("Acme Build", 5, day)
    page = member.get(created.headers["Location"]).get_data(as_text=True)
    assert "Acme Build — 5 records" in page and "All projects" in page
    assert "<strong>0</strong> selected" in member.get(everywhere()).get_data(as_text=True)

    again = member.post(f"/selection/export/{export.public_id}", headers=csrf_headers(member, HTMX))
    assert again.status_code == 303 and again.headers["Location"] == "/records"
    assert "<strong>5</strong> selected" in member.get(everywhere()).get_data(as_text=True)


def test_another_organisation_gets_404_or_nothing_on_every_organisation_wide_route(
    client, world, two_projects
):
    depot, tower, quay, theirs = two_projects
    factories.login(client, "member@bravo.test")
    headers = csrf_headers(client, HTMX)
    ticked = client.post(
        f"/records/{tower[0].public_id}/selection",
        data={"record": tower[0].public_id},
        headers=headers,
    )
    assert ticked.status_code == 404
    shown = {"shown": [r.public_id for r in tower], "record": [r.public_id for r in tower]}
    for action in ("page", "page/all"):
        client.post(f"/selection/{action}", data=shown, headers=headers)
    client.post(everywhere("/selection/matching", project=depot.public_id), headers=headers)
    html = client.get(everywhere()).get_data(as_text=True)
    assert set(references(html)) == {theirs.reference}
    assert "<strong>0</strong> selected" in html

    ours = factories.export_in(ExportStatus.COMPLETED, world.member_a, None, records=tower)
    assert client.post(f"/selection/export/{ours.public_id}", headers=headers).status_code == 404
    refused = client.post(
        "/exports",
        data={"project": "", "record": [tower[0].public_id], "csrf_token": csrf(client)},
    )
    assert refused.status_code == 400 and "selected records are not in" in refused.get_data(True)
    assert (
        db.session.scalar(select(Export).where(Export.requested_by_id == world.member_b.id)) is None
    )


def test_anonymous_is_sent_to_login_from_the_organisation_wide_routes(client, two_projects):
    assert client.get("/records").headers["Location"].startswith("/login")
    headers = csrf_headers(client, page="/login")
    record = two_projects[1][0].public_id
    for url in (f"/records/{record}/selection", "/selection/page", "/selection/page/all",
                "/selection/matching", "/selection/matching/only", "/selection/clear"):  # fmt: skip
        response = client.post(url, headers=headers)
        assert response.headers["Location"].startswith("/login"), url


def test_a_records_table_row_links_to_its_own_projects_record(member, two_projects):
    depot, _, quay, _ = two_projects
    html = member.get(everywhere()).get_data(as_text=True)
    assert re.search(rf'href="/projects/{depot.public_id}/records/{quay[0].public_id}"', html)


def test_an_export_across_projects_is_retried_and_re_ordered_as_one(member, world, two_projects):
    depot, tower, quay, _ = two_projects
    failed = factories.export_in(ExportStatus.FAILED, world.member_a, None, records=tower)
    retried = member.post(f"/exports/{failed.public_id}/retry", data={"csrf_token": csrf(member)})
    assert retried.status_code == 303 and reload(failed).status == ExportStatus.PENDING

    expired = factories.export_in(ExportStatus.EXPIRED, world.member_a, None, records=tower + quay)
    again = member.post(f"/exports/{expired.public_id}/reorder", data={"csrf_token": csrf(member)})
    assert again.status_code == 303
    new = db.session.scalar(select(Export).where(Export.reordered_from_id == expired.id))
    items = select(ExportItem.record_id).where(ExportItem.export_id == new.id)
    assert new.project_id is None
    assert set(db.session.scalars(items)) == {r.id for r in tower + quay}
    assert "All projects" in member.get(again.headers["Location"]).get_data(as_text=True)


def test_the_admin_page_of_an_export_across_projects_links_each_record_to_its_project(
    client, world, two_projects
):
    depot, tower, quay, _ = two_projects
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, None, records=quay)
    factories.login(client, "admin@acme.test")
    html = client.get(f"/admin/exports/{export.public_id}").get_data(as_text=True)
    assert f"/projects/{depot.public_id}/records/{quay[0].public_id}" in html
    assert "All records, across projects" in html
