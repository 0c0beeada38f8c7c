"""POST /api/v1/exports with `"dry_run": true`: the records page's estimate, nothing asked."""

from __future__ import annotations

from rq import Queue
from sqlalchemy import func, select

from portal import queues
from portal.exports import estimate as estimates
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export
from portal.records import selection
from tests.api.calls import assert_problem
from tests.factories import ids_of


def test_a_dry_run_answers_the_estimate_and_asks_for_nothing(api, world, four, redis_url):
    body = {"project": world.project_a.public_id, "record_ids": [r.public_id for r in four]}
    key = {"Idempotency-Key": "estimate-first"}
    answer = api.post("/api/v1/exports", json={**body, "dry_run": True}, headers=key)
    assert answer.status_code == 200
    guess = estimates.estimate(world.org_a.id, ids_of(four), ExportOptions())
    assert answer.get_json() == guess.as_dict()
    assert db.session.scalar(select(func.count()).select_from(Export)) == 0
    assert Queue(queues.SMALL, connection=queues.connection()).count == 0
    real = api.post("/api/v1/exports", json=body, headers=key)
    assert real.status_code == 202  # the key was still unused


def test_a_dry_run_of_nothing_is_refused_as_the_request_would_be(api, world):
    body = {"project": world.project_a.public_id, "filter": {"q": "no such record"}}
    answer = api.post("/api/v1/exports", json={**body, "dry_run": True})
    assert "at least one record" in assert_problem(answer, 400, "bad-request")["detail"]
    assert selection.count_selected(world.member_a.id, world.project_a.id) == 0


def test_the_document_describes_the_dry_run_and_its_answer(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    create = spec["paths"]["/api/v1/exports"]["post"]
    assert "dry_run" in create["description"]
    assert spec["components"]["schemas"]["ExportIn"]["properties"]["dry_run"]["default"] is False
    answer = create["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert answer.endswith("/ExportEstimate")
    estimate = spec["components"]["schemas"]["ExportEstimate"]["properties"]
    assert set(estimate) == set(estimates.Estimate.__dataclass_fields__) | {"hit_ratio"}


def test_dry_runs_spend_none_of_the_export_request_budget(app, api, world, four, redis_url):
    app.config["EXPORT_RATE_LIMIT"] = "1 per minute"
    body = {"project": world.project_a.public_id, "record_ids": [r.public_id for r in four]}
    for _ in range(3):
        assert api.post("/api/v1/exports", json={**body, "dry_run": True}).status_code == 200
    assert api.post("/api/v1/exports", json=body).status_code == 202
    assert api.post("/api/v1/exports", json={**body, "title": "again"}).status_code == 429
