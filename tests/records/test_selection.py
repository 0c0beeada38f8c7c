"""The server-side selection: ticks, pages, all matching, clear, and the tenant scope."""

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import SelectedRecord
from portal.records import selection
from tests import factories
from tests.helpers import csrf_headers, sql_statements
from tests.records.helpers import (
    HTMX,
    checked_refs,
    records_url,
    selected_refs,
    selection_url,
    tick,
)


def test_ticking_a_box_selects_and_unticking_unselects(member, world):
    first, second = factories.records(world.project_a, 2)
    db.session.commit()
    response = tick(member, world.project_a, first, on=True)
    assert response.status_code == 200
    assert "<strong>1</strong> selected" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    tick(member, world.project_a, first, on=True)
    tick(member, world.project_a, second, on=True)
    assert selected_refs(world.member_a, world.project_a) == {first.reference, second.reference}
    response = tick(member, world.project_a, first, on=False)
    assert "<strong>1</strong> selected" in response.get_data(as_text=True)
    assert selected_refs(world.member_a, world.project_a) == {second.reference}


def test_selection_survives_paging_and_filtering(app, member, world):
    app.config["RECORDS_PER_PAGE"] = 4
    made = factories.records(world.project_a, 10)
    db.session.commit()
    chosen = [made[0], made[9]]  # INS-0001 on the last page by date, ISS-0010 on the first
    for record in chosen:
        tick(member, world.project_a, record, on=True)
    page_one = member.get(records_url(world.project_a)).get_data(as_text=True)
    page_three = member.get(records_url(world.project_a, page=3)).get_data(as_text=True)
    assert checked_refs(page_one) == {"ISS-0010"}
    assert checked_refs(page_three) == {"INS-0001"}
    filtered = member.get(records_url(world.project_a, kind="inspection")).get_data(as_text=True)
    assert checked_refs(filtered) == {"INS-0001"}
    assert "<strong>2</strong> selected" in filtered


def test_select_this_page_adds_exactly_the_rows_shown(app, member, world):
    app.config["RECORDS_PER_PAGE"] = 3
    factories.records(world.project_a, 7)
    db.session.commit()
    html = member.get(records_url(world.project_a, page=2)).get_data(as_text=True)
    shown = re.findall(r'name="shown" value="([^"]+)"', html)
    response = member.post(
        selection_url(world.project_a, "page/all", page=2),
        data={"shown": shown},
        headers=csrf_headers(member, HTMX),
    )
    assert response.status_code == 200
    assert checked_refs(response.get_data(as_text=True)) == {"NCR-0004", "TSK-0003", "ISS-0002"}
    assert len(selected_refs(world.member_a, world.project_a)) == 3


def test_update_selection_without_javascript_sets_the_rows_shown(member, world):
    made = factories.records(world.project_a, 4)
    db.session.commit()
    tick(member, world.project_a, made[0], on=True)
    tick(member, world.project_a, made[3], on=True)
    shown = [r.public_id for r in made[:3]]
    response = member.post(
        selection_url(world.project_a, "page", kind="", q="record", page="1"),
        data={"shown": shown, "record": [made[1].public_id]},
        headers=csrf_headers(member),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == records_url(world.project_a, q="record")
    assert selected_refs(world.member_a, world.project_a) == {made[1].reference, made[3].reference}


def test_select_all_matching_5000_records_is_one_insert(member, world):
    factories.bulk_records(world.project_a, 5000)
    factories.bulk_records(world.project_b, 10)
    headers = csrf_headers(member, HTMX)
    with sql_statements() as seen:
        response = member.post(
            selection_url(world.project_a, "matching", kind="issue"), headers=headers
        )
    assert response.status_code == 200
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "SELECT" in inserts[0].upper()
    assert "<strong>1,250</strong> selected" in response.get_data(as_text=True)
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 1250
    member.post(selection_url(world.project_a, "matching"), headers=headers)
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 5000


def test_select_all_matching_keeps_earlier_ticks_and_skips_duplicates(member, world):
    made = factories.records(world.project_a, 8)
    db.session.commit()
    tick(member, world.project_a, made[2], on=True)  # a task, outside the filter below
    tick(member, world.project_a, made[0], on=True)  # an inspection, inside it
    response = member.post(
        selection_url(world.project_a, "matching", kind="inspection"), headers=csrf_headers(member)
    )
    assert response.status_code == 303
    assert response.headers["Location"] == records_url(world.project_a, kind="inspection")
    assert selected_refs(world.member_a, world.project_a) == {"TSK-0003", "INS-0001", "INS-0005"}


def test_clear_empties_only_this_users_selection(member, world):
    made = factories.records(world.project_a, 3)
    db.session.add(
        SelectedRecord(
            user_id=world.admin_a.id, project_id=world.project_a.id, record_id=made[0].id
        )
    )
    db.session.commit()
    tick(member, world.project_a, made[1], on=True)
    response = member.post(
        selection_url(world.project_a, "clear"), headers=csrf_headers(member, HTMX)
    )
    assert "<strong>0</strong> selected" in response.get_data(as_text=True)
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 0
    assert selection.count_selected(world.admin_a.id, world.project_a.id) == 1


def test_other_organisations_ids_are_never_inserted(member, world):
    mine = factories.records(world.project_a, 1)
    theirs = factories.records(world.project_b, 2)
    db.session.commit()
    headers = csrf_headers(member, HTMX)
    ids = [mine[0].public_id, *(r.public_id for r in theirs)]
    member.post(selection_url(world.project_a, "page/all"), data={"shown": ids}, headers=headers)
    member.post(
        selection_url(world.project_a, "page"), data={"shown": ids, "record": ids}, headers=headers
    )
    assert tick(member, world.project_a, theirs[0], on=True).status_code == 404
    rows = db.session.scalars(select(SelectedRecord.record_id)).all()
    assert rows == [mine[0].id]


def test_another_projects_record_cannot_be_ticked_through_this_project(member, world):
    other = factories.project(world.org_a, "Second Site", "SS")
    record = factories.record(other)
    db.session.commit()
    assert tick(member, world.project_a, record, on=True).status_code == 404
    assert db.session.scalars(select(SelectedRecord)).all() == []


def test_malformed_and_excessive_ids_change_nothing(member, world):
    factories.records(world.project_a, 2)
    db.session.commit()
    headers = csrf_headers(member, HTMX)
    junk = ["", "x", "../../etc", "a" * 5000, "' OR 1=1 --"]
    ok = member.post(
        selection_url(world.project_a, "page/all"), data={"shown": junk}, headers=headers
    )
    assert ok.status_code == 200
    nul = member.post(
        selection_url(world.project_a, "page/all"), data={"shown": "\x00" * 10}, headers=headers
    )
    assert nul.status_code == 400  # portal/screening.py refuses control characters in forms
    too_many = member.post(
        selection_url(world.project_a, "page/all"),
        data={"shown": ["abcdefgh"] * 1001},
        headers=headers,
    )
    assert too_many.status_code == 400
    bad_record = member.post(
        f"/projects/{world.project_a.public_id}/records/{'z' * 300}/selection", headers=headers
    )
    assert bad_record.status_code == 404
    assert db.session.scalars(select(SelectedRecord)).all() == []


def test_selection_changes_need_post_and_csrf(member, world):
    factories.records(world.project_a, 1)
    db.session.commit()
    assert member.get(selection_url(world.project_a, "matching")).status_code == 405
    assert member.post(selection_url(world.project_a, "matching")).status_code == 400
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 0
