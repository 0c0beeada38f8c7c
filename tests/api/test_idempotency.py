"""Idempotency-Key on POST /api/v1/exports: one key, one export, even under concurrency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from jobs.sweep import run_sweep
from portal.extensions import db
from portal.models import Export, IdempotentRequest, utcnow
from tests import factories
from tests.api.calls import assert_problem, at_once


@pytest.fixture
def records(world):
    made = factories.records(world.project_a, 3)
    db.session.commit()
    return made


def body_for(world, records) -> dict:
    return {"project": world.project_a.public_id, "record_ids": [r.public_id for r in records]}


def test_a_retried_request_answers_with_the_first_export(api, world, records):
    headers = {"Idempotency-Key": "order-2026-0001"}
    first = api.post("/api/v1/exports", json=body_for(world, records), headers=headers)
    api.post(f"/api/v1/exports/{first.get_json()['id']}/cancel")
    again = api.post("/api/v1/exports", json=body_for(world, records), headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["state"] == "cancelled"  # not a new export of the same records
    assert Export.query.count() == 1 and IdempotentRequest.query.count() == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(api, world, records):
    headers = {"Idempotency-Key": "order-2026-0002"}
    api.post("/api/v1/exports", json=body_for(world, records[:1]), headers=headers)
    response = api.post("/api/v1/exports", json=body_for(world, records[1:]), headers=headers)
    assert "different request body" in assert_problem(response, 422, "validation")["detail"]
    assert Export.query.count() == 1


def test_keys_belong_to_their_user(api, caller, world, records):
    """Another person's identical key makes their own export."""
    headers = {"Idempotency-Key": "shared-looking-key"}
    mine = api.post("/api/v1/exports", json=body_for(world, records), headers=headers)
    admins = caller(world.admin_a).post(
        "/api/v1/exports", json=body_for(world, records), headers=headers
    )
    assert mine.get_json()["id"] != admins.get_json()["id"]


def test_a_malformed_key_is_422(api, world, records):
    for key in ("", "has space", "x" * 256, "é"):
        response = api.post(
            "/api/v1/exports", json=body_for(world, records), headers={"Idempotency-Key": key}
        )
        problem = assert_problem(response, 422, "validation")
        assert problem["errors"][0]["field"] == "header.Idempotency-Key"
    assert Export.query.count() == 0


def test_concurrent_requests_with_one_key_make_one_export(app, world, records, api):
    """Eight threads post the same request at once to the app served over HTTP."""
    body, count = body_for(world, records), 8
    headers = {**factories.bearer(api.secret), "Idempotency-Key": "burst-1"}
    answers = at_once(app, count, "POST", "/api/v1/exports", headers, json=body)
    assert [a.status_code for a in answers] == [202] * count
    assert len({a.json()["id"] for a in answers}) == 1
    assert Export.query.count() == 1 and IdempotentRequest.query.count() == 1


def test_the_database_refuses_a_second_row_for_one_key(api, world, records):
    """What makes the race safe is the constraint, not the lookup before it."""
    api.post("/api/v1/exports", json=body_for(world, records), headers={"Idempotency-Key": "k1"})
    row = IdempotentRequest.query.one()
    db.session.add(
        IdempotentRequest(
            user_id=row.user_id, key="k1", request_hash="0" * 64, export_id=row.export_id
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def remembered_since(hours: float) -> None:
    """Backdates every remembered key by `hours`."""
    db.session.execute(
        update(IdempotentRequest).values(created_at=utcnow() - timedelta(hours=hours))
    )
    db.session.commit()


def test_a_key_past_its_lifetime_is_forgotten_and_makes_a_new_export(app, api, world, records):
    headers = {"Idempotency-Key": "nightly-2026-12-02"}
    first = api.post("/api/v1/exports", json=body_for(world, records), headers=headers)
    api.post(f"/api/v1/exports/{first.get_json()['id']}/cancel")
    remembered_since(app.config["IDEMPOTENCY_KEY_HOURS"] - 1)
    within = api.post("/api/v1/exports", json=body_for(world, records), headers=headers)
    assert within.get_json()["id"] == first.get_json()["id"]
    remembered_since(app.config["IDEMPOTENCY_KEY_HOURS"] + 1)
    after = api.post("/api/v1/exports", json=body_for(world, records), headers=headers)
    assert after.status_code == 202 and after.get_json()["id"] != first.get_json()["id"]
    assert Export.query.count() == 2 and IdempotentRequest.query.count() == 1


def test_the_sweeper_forgets_keys_past_their_lifetime(app, api, world, records):
    for key in ("old", "new"):
        api.post("/api/v1/exports", json=body_for(world, records), headers={"Idempotency-Key": key})
        if key == "old":
            remembered_since(app.config["IDEMPOTENCY_KEY_HOURS"] + 1)
    assert run_sweep()["idempotency_keys_forgotten"] == 1
    assert [row.key for row in IdempotentRequest.query] == ["new"]
