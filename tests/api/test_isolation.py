"""Organisation B's key on every /api/v1 route with organisation A's ids: 404, exactly like
an id that does not exist; and nothing of A's in B's lists. The routes are read from the URL
map, so a route added later is walked too."""

from __future__ import annotations

import io
from datetime import timedelta

from portal.extensions import db
from portal.models import Export, ExportStatus, Record, Schedule, utcnow
from portal.schedules import service as schedules
from portal.schedules.service import ScheduleIn
from tests import factories
from tests.api.calls import assert_problem

MISSING = "doesNotExist1234"
PUBLIC_ROUTES = {"/api/v1/openapi.json", "/api/v1/reference"}


def requests_for(app, ids: dict[str, str]) -> list[tuple[str, str, dict]]:
    """(method, path, request arguments) for every /api/v1 route taking an id, filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or not rule.arguments:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", ids[argument])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, valid_body(path, method)))
    return found


def valid_body(path: str, method: str) -> dict:
    """A body the route would accept, so that only the ids can make it refuse."""
    if method == "PUT":
        return {"json": {"kind": "issue", "title": "Crack in slab"}}
    if path.endswith("/photos"):
        return {"data": {"photo": (io.BytesIO(factories.jpeg()), "site.jpg")}}
    return {}


def org_a_ids(world) -> dict[str, str]:
    record = factories.record(world.project_a)
    db.session.commit()
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        records=[record],
        expires_at=utcnow() + timedelta(days=1),
    )
    asked = ScheduleIn.checked("Weekly", {}, "FREQ=WEEKLY", "Europe/London", False)
    return {
        "schedule_id": schedules.add(world.member_a, world.project_a, asked).public_id,
        "public_id": export.public_id,
        "project_id": world.project_a.public_id,
        "external_ref": record.reference,
    }


def test_another_organisations_ids_answer_404_like_missing_ones(app, caller, world, bucket):
    ids = org_a_ids(world)
    intruder = caller(world.member_b)
    missing = dict.fromkeys(ids, MISSING) | {"external_ref": "NOPE-1"}
    walked = requests_for(app, ids)
    assert len(walked) >= 8
    for (method, path, body), (_, missing_path, _) in zip(
        walked, requests_for(app, missing), strict=True
    ):
        theirs = intruder.open(path, method, **body)
        nowhere = intruder.open(missing_path, method, **valid_body(missing_path, method))
        answer = assert_problem(theirs, 404, "not-found")
        assert answer["detail"] == assert_problem(nowhere, 404, "not-found")["detail"], path
    db.session.expire_all()
    assert Record.query.count() == 1 and Export.query.one().status == ExportStatus.COMPLETED
    assert Schedule.query.one().paused is False


def test_every_id_taking_route_is_walked(app):
    """The walk above covers every API route but the documents, the lists and the bundle and
    schedule requests (whose project, in the body, tests/api/test_bundles.py and
    test_schedules.py try with B's key)."""
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    with_ids = {rule for rule in routes if "<" in rule}
    lists = {"/api/v1/projects", "/api/v1/exports", "/api/v1/bundles", "/api/v1/schedules"}
    assert routes - with_ids == PUBLIC_ROUTES | lists


def test_another_organisations_project_cannot_be_exported(caller, world):
    record = factories.record(world.project_a)
    db.session.commit()
    body = {"project": world.project_a.public_id, "record_ids": [record.public_id]}
    assert_problem(caller(world.member_b).post("/api/v1/exports", json=body), 404, "not-found")
    assert Export.query.count() == 0


def test_lists_show_nothing_of_another_organisation(caller, world):
    factories.export_in(ExportStatus.FAILED, world.member_a, world.project_a, records=1)
    intruder = caller(world.member_b)
    projects = intruder.get("/api/v1/projects").get_json()["items"]
    assert [p["id"] for p in projects] == [world.project_b.public_id]
    assert intruder.get("/api/v1/exports").get_json()["items"] == []


def test_a_records_listing_of_another_organisations_project_is_404(caller, world):
    factories.record(world.project_a)
    db.session.commit()
    url = f"/api/v1/projects/{world.project_a.public_id}/records"
    assert_problem(caller(world.member_b).get(url), 404, "not-found")


def test_another_organisations_project_among_project_ids_is_404_and_makes_nothing(caller, world):
    factories.record(world.project_a)
    factories.record(world.project_b)
    db.session.commit()
    body = {"project_ids": [world.project_b.public_id, world.project_a.public_id], "filter": {}}
    assert_problem(caller(world.member_b).post("/api/v1/exports", json=body), 404, "not-found")
    assert Export.query.count() == 0
