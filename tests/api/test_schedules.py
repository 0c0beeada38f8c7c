"""/api/v1/schedules: the page's rules through the API."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Schedule
from tests.api.calls import assert_problem

BODY = {
    "name": "Friday handover",
    "filter": {"kind": "issue", "status": "open"},
    "rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0",
    "timezone": "Europe/London",
}


def test_a_schedule_is_made_listed_paused_resumed_and_deleted(api, world):
    made = api.post("/api/v1/schedules", json={**BODY, "project": world.project_a.public_id})
    assert made.status_code == 201, made.get_json()
    schedule = made.get_json()
    assert schedule["filter"] == {"kind": "issue", "status": "open"}
    assert schedule["next_run_at"].endswith(("T16:00:00Z", "T17:00:00Z"))
    url = f"/api/v1/schedules/{schedule['id']}"
    assert [s["id"] for s in api.get("/api/v1/schedules").get_json()["items"]] == [schedule["id"]]
    paused = api.post(f"{url}/pause").get_json()
    assert paused["paused"] is True and paused["next_run_at"] is None
    assert api.post(f"{url}/resume").get_json()["next_run_at"] is not None
    assert api.get(url).get_json()["name"] == "Friday handover"
    assert api.open(url, "DELETE").status_code == 204
    assert db.session.query(Schedule).count() == 0


def test_a_rule_that_cannot_be_used_is_a_400_saying_why(api, world):
    body = {**BODY, "project": world.project_a.public_id, "rrule": "FREQ=MINUTELY"}
    answer = assert_problem(api.post("/api/v1/schedules", json=body), 400, "bad-request")
    assert "at most hourly" in answer["detail"]


def test_another_organisations_schedule_and_project_answer_404(api, caller, world):
    made = api.post("/api/v1/schedules", json={**BODY, "project": world.project_a.public_id})
    url = f"/api/v1/schedules/{made.get_json()['id']}"
    intruder = caller(world.member_b)
    assert_problem(intruder.get(url), 404, "not-found")
    assert_problem(intruder.post(f"{url}/pause"), 404, "not-found")
    assert_problem(intruder.open(url, "DELETE"), 404, "not-found")
    body = {**BODY, "project": world.project_a.public_id}
    assert_problem(intruder.post("/api/v1/schedules", json=body), 404, "not-found")
    assert intruder.get("/api/v1/schedules").get_json()["items"] == []
    db.session.expire_all()
    assert db.session.query(Schedule).one().paused is False
