"""The selection bar is honest about picks hidden by the filter, and the selection meets the
export: cleared when an export is requested from it, restored on request from the export."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Export, ExportItem, ExportStatus, Record, SelectedRecord
from portal.records import selection
from tests import factories
from tests.helpers import request_export
from tests.records.helpers import (
    HTMX,
    csrf_headers,
    records_url,
    selected_refs,
    selection_url,
    tick,
)

INSPECTIONS = {"INS-0001", "INS-0005", "INS-0009"}


def twelve_records_two_picked_elsewhere(member, world) -> list[Record]:
    """12 records (3 inspections); an issue and a task ticked before filtering."""
    made = factories.records(world.project_a, 12)
    db.session.commit()
    tick(member, world.project_a, made[1], on=True)
    tick(member, world.project_a, made[2], on=True)
    return made


def exported_refs(export: Export) -> set[str]:
    items = select(ExportItem.record_id).where(ExportItem.export_id == export.id)
    return set(db.session.scalars(select(Record.reference).where(Record.id.in_(items))))


def test_select_all_matching_says_which_picks_the_filter_hides(member, world):
    twelve_records_two_picked_elsewhere(member, world)
    response = member.post(
        selection_url(world.project_a, "matching", kind="inspection"),
        headers=csrf_headers(member, HTMX),
    )
    html = response.get_data(as_text=True)
    assert "<strong>5</strong> selected: 3 matching this filter and 2 from earlier" in html
    assert "Only these 3" in html
    unfiltered = member.get(records_url(world.project_a)).get_data(as_text=True)
    assert "<strong>5</strong> selected</p>" in unfiltered
    assert "Only these" not in unfiltered


def test_only_these_keeps_the_matching_picks_and_the_export_holds_just_them(member, world):
    twelve_records_two_picked_elsewhere(member, world)
    headers = csrf_headers(member, HTMX)
    member.post(selection_url(world.project_a, "matching", kind="inspection"), headers=headers)
    response = member.post(
        selection_url(world.project_a, "matching/only", kind="inspection"), headers=headers
    )
    html = response.get_data(as_text=True)
    assert "<strong>3</strong> selected</p>" in html and "from earlier" not in html
    assert selected_refs(world.member_a, world.project_a) == INSPECTIONS
    request_export(member, world.project_a)
    assert exported_refs(Export.query.one()) == INSPECTIONS


def test_only_these_keeps_only_ticked_records_it_never_adds_any(member, world):
    made = twelve_records_two_picked_elsewhere(member, world)
    tick(member, world.project_a, made[0], on=True)
    response = member.post(
        selection_url(world.project_a, "matching/only", kind="inspection"),
        headers=csrf_headers(member),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == records_url(world.project_a, kind="inspection")
    assert selected_refs(world.member_a, world.project_a) == {"INS-0001"}


def test_a_tick_under_a_filter_keeps_the_hidden_count_in_the_bar(member, world):
    made = twelve_records_two_picked_elsewhere(member, world)
    url = f"/projects/{world.project_a.public_id}/records/{made[4].public_id}/selection"
    response = member.post(
        f"{url}?kind=inspection",
        data={"record": [made[4].public_id]},
        headers=csrf_headers(member, HTMX),
    )
    html = response.get_data(as_text=True)
    assert "<strong>3</strong> selected: 1 matching this filter and 2 from earlier" in html
    assert "/selection/matching/only?kind=inspection" in html


def test_requesting_an_export_clears_the_selection_it_was_made_from(member, world):
    twelve_records_two_picked_elsewhere(member, world)
    response = request_export(member, world.project_a)
    assert response.status_code == 303
    assert exported_refs(Export.query.one()) == {"ISS-0002", "TSK-0003"}
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 0


def test_an_identical_export_in_progress_also_clears_the_selection(member, world):
    made = twelve_records_two_picked_elsewhere(member, world)
    request_export(member, world.project_a)
    tick(member, world.project_a, made[1], on=True)
    tick(member, world.project_a, made[2], on=True)
    response = request_export(member, world.project_a)
    assert "reused=1" in response.headers["Location"]
    assert Export.query.count() == 1
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 0


def test_a_refused_export_leaves_the_selection_alone(app, member, world):
    app.config["EXPORT_MAX_ACTIVE_PER_USER"] = 0
    twelve_records_two_picked_elsewhere(member, world)
    assert request_export(member, world.project_a).status_code == 429
    assert Export.query.count() == 0
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 2


def test_an_export_of_explicit_ids_leaves_the_selection_alone(member, world):
    made = twelve_records_two_picked_elsewhere(member, world)
    request_export(member, world.project_a, records=[made[0]])
    assert selected_refs(world.member_a, world.project_a) == {"ISS-0002", "TSK-0003"}


def select_again(client, export: Export, project=None):
    project = project or export.project
    url = f"/projects/{project.public_id}/selection/export/{export.public_id}"
    return client.post(url, headers=csrf_headers(client))


def test_select_these_again_restores_the_exports_records_as_the_selection(member, world):
    made = twelve_records_two_picked_elsewhere(member, world)
    request_export(member, world.project_a)
    export = Export.query.one()
    page = member.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "Select these 2 again" in page
    tick(member, world.project_a, made[0], on=True)
    response = select_again(member, export)
    assert response.status_code == 303
    assert response.headers["Location"] == records_url(world.project_a)
    assert selected_refs(world.member_a, world.project_a) == {"ISS-0002", "TSK-0003"}


def test_select_again_refuses_exports_out_of_reach_and_changes_nothing(member, world):
    mine = factories.records(world.project_a, 1)
    other_project = factories.project(world.org_a, "Second Site", "SS")
    db.session.commit()
    colleague = factories.user(world.org_a, "colleague@acme.test")
    colleagues = factories.export_in(ExportStatus.PENDING, colleague, world.project_a)
    theirs = factories.export_in(ExportStatus.PENDING, world.member_b, world.project_b)
    ours = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a)
    tick(member, world.project_a, mine[0], on=True)
    assert select_again(member, colleagues).status_code == 404
    assert select_again(member, theirs).status_code == 404
    assert select_again(member, theirs, project=world.project_a).status_code == 404
    assert select_again(member, ours, project=other_project).status_code == 404
    by_get = member.get(f"/projects/{world.project_a.public_id}/selection/export/{ours.public_id}")
    assert by_get.status_code == 405
    assert db.session.scalars(select(SelectedRecord.record_id)).all() == [mine[0].id]
