"""One export-request budget per person, spent through the portal and the API together."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Export
from tests import factories
from tests.api.calls import assert_problem
from tests.factories import login
from tests.helpers import request_export


@pytest.fixture
def app_overrides():
    return {"EXPORT_RATE_LIMIT": "3 per minute", "EXPORT_MAX_ACTIVE_PER_USER": 100}


def test_the_portal_and_the_api_share_one_budget(client, api, world):
    records = factories.records(world.project_a, 5)
    db.session.commit()
    login(client, "member@acme.test")
    assert request_export(client, world.project_a, records[0:1]).status_code == 303
    assert request_export(client, world.project_a, records[1:2]).status_code == 303
    body = {"project": world.project_a.public_id, "record_ids": [records[2].public_id]}
    assert api.post("/api/v1/exports", json=body).status_code == 202

    body["record_ids"] = [records[3].public_id]
    limited = api.post("/api/v1/exports", json=body)
    assert_problem(limited, 429, "rate-limited")
    assert 0 < int(limited.headers["Retry-After"]) <= 61  # the rest of a 1-minute window
    portal = request_export(client, world.project_a, records[4:5])
    assert portal.status_code == 429
    assert 0 < int(portal.headers["Retry-After"]) <= 61
    assert Export.query.count() == 3


def test_the_budget_is_per_person(api, caller, world):
    records = factories.records(world.project_a, 4)
    db.session.commit()
    for record in records[:3]:
        body = {"project": world.project_a.public_id, "record_ids": [record.public_id]}
        assert api.post("/api/v1/exports", json=body).status_code == 202
    body = {"project": world.project_a.public_id, "record_ids": [records[3].public_id]}
    assert caller(world.admin_a).post("/api/v1/exports", json=body).status_code == 202
    assert caller(world.member_a).post("/api/v1/exports", json=body).status_code == 429
