"""/api/v1/exports: request (202, Location, Retry-After), follow, list, download."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from rq import Queue

from jobs import load
from portal import queues
from portal.exports import service, wording
from portal.exports.options import NAME_MAX
from portal.extensions import db
from portal.models import Download, Export, ExportItem, ExportStatus, utcnow
from tests import factories
from tests.api.calls import assert_problem


def body_for(project, records=None, **changes) -> dict:
    body = {"project": project.public_id, **changes}
    if records is not None:
        body["record_ids"] = [r.public_id for r in records]
    return body


def exported_ids(export_id: str) -> set[int]:
    export = Export.query.filter_by(public_id=export_id).one()
    return {item.record_id for item in ExportItem.query.filter_by(export_id=export.id)}


def test_a_request_is_accepted_with_location_and_retry_after_and_enqueued(api, world, redis_url):
    records = factories.records(world.project_a, 3)
    db.session.commit()
    response = api.post("/api/v1/exports", json=body_for(world.project_a, records))
    assert response.status_code == 202
    out = response.get_json()
    assert response.headers["Location"] == out["links"]["self"]
    assert out["links"]["self"].endswith(f"/api/v1/exports/{out['id']}")
    assert 2 <= int(response.headers["Retry-After"]) <= 30
    assert (out["state"], out["total"], out["done"], out["parts"]) == ("pending", 3, 0, [])
    assert out["options"] == {
        "paper": "A4",
        "include_originals": False,
        "layout": "files",
        "order": "kind",
        "archival": True,
        "signed": False,
    }
    assert set(out["links"]) >= {"cancel"} and out["links"]["download"] is None
    assert exported_ids(out["id"]) == {r.id for r in records}
    assert Queue(queues.SMALL, connection=queues.connection()).job_ids == [f"export-{out['id']}"]


def test_a_filter_selects_what_the_records_page_filter_selects(api, world):
    records = factories.records(world.project_a, 8)
    records[0].status = "closed"
    db.session.commit()
    wanted = {r.id for r in records if r.kind == "issue" and r.status == "open"}
    response = api.post(
        "/api/v1/exports",
        json=body_for(world.project_a, filter={"kind": "issue", "status": "open"}),
    )
    assert response.status_code == 202
    assert exported_ids(response.get_json()["id"]) == wanted


def test_options_are_kept(api, world):
    records = factories.records(world.project_a, 1)
    db.session.commit()
    body = body_for(
        world.project_a,
        records,
        options={"paper": "Letter", "include_originals": True, "layout": "both", "order": "due"}
        | {"archival": False},
    )
    out = api.post("/api/v1/exports", json=body).get_json()
    assert out["options"] == {
        "paper": "Letter",
        "include_originals": True,
        "layout": "both",
        "order": "due",
        "archival": False,
        "signed": False,
    }


def test_an_identical_live_export_is_answered_instead_of_a_new_one(api, world):
    records = factories.records(world.project_a, 2)
    db.session.commit()
    first = api.post("/api/v1/exports", json=body_for(world.project_a, records)).get_json()
    again = api.post("/api/v1/exports", json=body_for(world.project_a, records)).get_json()
    assert again["id"] == first["id"] and Export.query.count() == 1


def test_a_record_of_another_project_refuses_the_request(api, world):
    other_project = factories.project(world.org_a, "Depot", "DP")
    ours, elsewhere = factories.record(world.project_a), factories.record(other_project)
    db.session.commit()
    response = api.post("/api/v1/exports", json=body_for(world.project_a, [ours, elsewhere]))
    assert "not in this project" in assert_problem(response, 400, "bad-request")["detail"]
    assert Export.query.count() == 0


def test_the_active_limit_is_a_429_problem(app, api, world):
    app.config["EXPORT_MAX_ACTIVE_PER_USER"] = 1
    records = factories.records(world.project_a, 2)
    db.session.commit()
    assert (
        api.post("/api/v1/exports", json=body_for(world.project_a, records[:1])).status_code == 202
    )
    response = api.post("/api/v1/exports", json=body_for(world.project_a, records[1:]))
    assert "exports in progress" in assert_problem(response, 429, "rate-limited")["detail"]
    assert response.headers["Retry-After"] == str(service.ACTIVE_LIMIT_RETRY_AFTER)


def test_a_ready_export_shows_its_parts_sizes_checksums_and_links(api, world):
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        records=4,
        parts=2,
        byte_size=9_000_000,
        expires_at=utcnow() + timedelta(days=3),
    )
    response = api.get(f"/api/v1/exports/{export.public_id}")
    out = response.get_json()
    assert response.status_code == 200 and "Retry-After" not in response.headers
    assert (out["state"], out["label"], out["byte_size"]) == ("completed", "Ready", 9_000_000)
    assert [(p["number"], p["byte_size"], p["sha256"]) for p in out["parts"]] == [
        (1, 4_500_000, f"{1:064x}"),
        (2, 4_500_000, f"{2:064x}"),
    ]
    assert out["parts"][1]["download"].endswith(f"/exports/{export.public_id}/download?part=2")
    assert out["expires_at"].startswith(export.expires_at.isoformat()[:16])
    assert out["links"]["download"] and out["links"]["cancel"] is None
    assert out["eta_seconds"] is None


def test_a_live_export_has_an_eta_and_retry_after(api, world):
    export = factories.export_in(
        ExportStatus.PROCESSING,
        world.member_a,
        world.project_a,
        records=10,
        done=5,
        started_at=utcnow() - timedelta(seconds=10),
        heartbeat_at=utcnow(),
    )
    response = api.get(f"/api/v1/exports/{export.public_id}")
    out = response.get_json()
    assert out["percent"] == 50 and 5 <= out["eta_seconds"] <= 15
    assert int(response.headers["Retry-After"]) == max(2, math.ceil(out["eta_seconds"] / 4))


def test_an_unchanged_export_answers_304_until_it_changes(api, world):
    """The clock stands still: the tag covers the ETA, which moves with it (seen under load)."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        export = factories.export_in(
            ExportStatus.PROCESSING, world.member_a, world.project_a, records=400, done=100,
            started_at=utcnow() - timedelta(seconds=100), heartbeat_at=utcnow(),
        )  # fmt: skip
        path = f"/api/v1/exports/{export.public_id}"
        first = api.get(path)
        etag = first.headers["ETag"]
        again = api.get(path, headers={"If-None-Match": etag})
        assert (again.status_code, again.get_data(), again.headers["ETag"]) == (304, b"", etag)
        assert 20 <= int(again.headers["Retry-After"]) <= 30  # 300 s left: about 4 looks
        export.done = 101
        db.session.commit()
        changed = api.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
        assert changed.get_json()["done"] == 101


def test_another_organisations_export_is_404_whatever_tag_is_sent(caller, world):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a)
    other = caller(world.member_b)
    response = other.get(f"/api/v1/exports/{export.public_id}", headers={"If-None-Match": "*"})
    assert_problem(response, 404, "not-found")


def test_the_list_is_mine_newest_first_in_pages(api, caller, world):
    mine = [
        factories.export_in(ExportStatus.FAILED, world.member_a, world.project_a, records=1)
        for _ in range(5)
    ]
    factories.export_in(ExportStatus.FAILED, world.admin_a, world.project_a, records=1)
    seen, url = [], "/api/v1/exports?limit=2"
    while url:
        page = api.get(url).get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        url = page["next"] and page["next"].removeprefix("http://sitepack.test")
    assert seen == [e.public_id for e in reversed(mine)]


def test_a_cursor_this_api_did_not_make_is_a_422(api):
    for cursor in ("nonsense", "YWZ0ZXI6", "%00", "YWZ0ZXI6LTE"):
        assert_problem(api.get(f"/api/v1/exports?cursor={cursor}"), 422, "validation")


def test_download_redirects_to_a_url_that_lives_a_minute_and_is_recorded(api, world):
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        records=2,
        parts=2,
        expires_at=utcnow() + timedelta(days=1),
    )
    response = api.get(f"/api/v1/exports/{export.public_id}/download?part=2")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path.endswith("-part-2-of-2.zip")
    assert int(parse_qs(location.query)["X-Amz-Expires"][0]) <= 60
    assert response.headers["Cache-Control"] == "no-store"
    download = Download.query.one()
    assert (download.part, download.user_id) == (2, world.member_a.id)


def test_download_before_ready_is_409_and_after_expiry_or_revocation_410(api, world):
    def attempt(state, **columns):
        export = factories.export_in(state, world.member_a, world.project_a, records=1, **columns)
        return api.get(f"/api/v1/exports/{export.public_id}/download")

    assert_problem(attempt(ExportStatus.PROCESSING), 409, "conflict")
    past = utcnow() - timedelta(minutes=1)
    assert_problem(attempt(ExportStatus.COMPLETED, expires_at=past), 410, "gone")
    assert_problem(attempt(ExportStatus.REVOKED), 410, "gone")
    assert Download.query.count() == 0


def test_download_of_a_part_that_does_not_exist_is_404_or_422(api, world):
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        records=1,
        expires_at=utcnow() + timedelta(days=1),
    )
    assert_problem(api.get(f"/api/v1/exports/{export.public_id}/download?part=2"), 404, "not-found")
    assert_problem(
        api.get(f"/api/v1/exports/{export.public_id}/download?part=x"), 422, "validation"
    )


def test_reorder_answers_with_the_new_export_and_again_with_the_same(api, world):
    old = factories.export_in(ExportStatus.EXPIRED, world.member_a, world.project_a, records=2)
    first = api.post(f"/api/v1/exports/{old.public_id}/reorder")
    again = api.post(f"/api/v1/exports/{old.public_id}/reorder")
    assert first.status_code == again.status_code == 202
    assert first.get_json()["id"] == again.get_json()["id"] != old.public_id
    assert first.get_json()["reordered_from"] == old.public_id
    assert first.headers["Location"].endswith(first.get_json()["id"])
    shown = api.get(f"/api/v1/exports/{old.public_id}").get_json()
    assert shown["links"]["reordered_as"].endswith(first.get_json()["id"])
    assert shown["links"]["reorder"] is None


def test_the_api_takes_a_title_and_answers_with_it(api, world):
    records = factories.records(world.project_a, 2)
    db.session.commit()
    body = {"project": world.project_a.public_id, "record_ids": [r.public_id for r in records]}
    titled = api.post("/api/v1/exports", json={**body, "title": "Claim 7"}).get_json()
    assert titled["title"] == "Claim 7" and titled["name"] is None
    again = api.get(f"/api/v1/exports/{titled['id']}").get_json()
    assert again["title"] == "Claim 7"
    untitled = api.post("/api/v1/exports", json=body).get_json()
    assert untitled["title"] == wording.default_title("Harbour View Tower", 2, utcnow().date())


@pytest.mark.parametrize("title, status", [("x" * (NAME_MAX + 1), 422), ("a\u202eb", 400)])
def test_the_api_refuses_a_bad_title_with_a_problem_and_no_row(api, world, title, status):
    record = factories.record(world.project_a)
    db.session.commit()
    body = {"project": world.project_a.public_id, "record_ids": [record.public_id], "title": title}
    response = api.post("/api/v1/exports", json=body)
    assert (response.status_code, response.mimetype) == (status, "application/problem+json")
    assert Export.query.count() == 0


def test_a_filter_is_kept_in_words_for_the_index(api, world):
    factories.records(world.project_a, 2)
    db.session.commit()
    body = {"project": world.project_a.public_id, "filter": {"created_from": "2020-01-01"}}
    out = api.post("/api/v1/exports", json=body).get_json()
    export = Export.query.filter_by(public_id=out["id"]).one()
    assert export.options["selection"] == "API filter: created 2020-01-01 to …"


def test_the_records_come_in_the_order_asked_for_selection_order_as_listed(api, world):
    records = factories.records(world.project_a, 4)
    db.session.commit()
    listed = [records[2], records[0], records[3], records[1]]
    body = body_for(world.project_a, listed, options={"order": "selection"})
    out = api.post("/api/v1/exports", json=body).get_json()
    export = Export.query.filter_by(public_id=out["id"]).one()
    assert list(load.requested_records(export.id, "selection")) == [r.id for r in listed]
    by_reference = sorted(records, key=lambda r: r.reference)
    assert list(load.requested_records(export.id, "reference")) == [r.id for r in by_reference]


def test_an_export_across_projects_takes_project_ids_and_is_filed_under_none(api, world):
    depot = factories.project(world.org_a, "Quay Depot", "QD")
    tower = factories.records(world.project_a, 2)
    quay = factories.record(depot, kind="issue", n=77)
    db.session.commit()
    projects = [world.project_a.public_id, depot.public_id]
    by_filter = api.post("/api/v1/exports", json={"project_ids": projects, "filter": {}})
    assert by_filter.status_code == 202, by_filter.get_json()
    out = by_filter.get_json()
    assert out["project"] is None and out["total"] == 3
    assert out["title"] == wording.default_title("Acme Build", 3, utcnow().date())
    assert exported_ids(out["id"]) == {r.id for r in [*tower, quay]}

    listed = {"project_ids": [depot.public_id], "record_ids": [quay.public_id, tower[0].public_id]}
    refused = api.post("/api/v1/exports", json=listed)
    assert_problem(refused, 400, "bad-request")
    both = {"project": depot.public_id, "project_ids": projects, "filter": {}}
    assert_problem(api.post("/api/v1/exports", json=both), 422, "validation")
