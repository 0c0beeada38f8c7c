"""Every error under /api/v1 is an RFC 9457 problem document: never HTML, never a trace."""

from __future__ import annotations

import pytest
from flask import Blueprint

from portal.extensions import db
from portal.models import Export
from tests import factories
from tests.api.calls import assert_problem
from tests.servers import free_port


def export_body(world, **changes) -> dict:
    record = factories.record(world.project_a)
    db.session.commit()
    return {"project": world.project_a.public_id, "record_ids": [record.public_id], **changes}


def test_an_unknown_path_is_a_404_problem(api, client):
    assert_problem(api.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")


def test_a_wrong_method_is_a_405_problem(api):
    response = api.open("/api/v1/projects", "DELETE")
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_a_body_of_another_type_is_a_415_problem(api, world):
    url = "/api/v1/exports"
    assert_problem(
        api.post(url, data="project=x", content_type="text/plain"), 415, "unsupported-media-type"
    )
    form = api.post(url, data={"project": world.project_a.public_id})
    assert_problem(form, 415, "unsupported-media-type")
    photo_url = f"/api/v1/projects/{world.project_a.public_id}/records/EXT-1/photos"
    assert_problem(api.post(photo_url, json={"photo": "x"}), 415, "unsupported-media-type")
    assert Export.query.count() == 0


def test_malformed_json_is_a_400_problem(api):
    for body in ("{bad", '{"project": ', "\xff\xfe"):
        response = api.post("/api/v1/exports", data=body, content_type="application/json")
        assert_problem(response, 400, "bad-request")


def test_validation_errors_name_each_field(api, world):
    response = api.post(
        "/api/v1/exports",
        json={"project": "no", "record_ids": [], "options": {"paper": "A3", "colour": True}},
    )
    body = assert_problem(response, 422, "validation")
    fields = {error["field"] for error in body["errors"]}
    assert {
        "body.project",
        "body.record_ids",
        "body.options.paper",
        "body.options.colour",
    } <= fields
    query = api.get(f"/api/v1/projects/{world.project_a.public_id}/records?limit=0&kind=bridge")
    fields = {error["field"] for error in assert_problem(query, 422, "validation")["errors"]}
    assert fields == {"query.limit", "query.kind"}
    assert Export.query.count() == 0


def test_giving_both_ids_and_a_filter_is_refused(api, world):
    body = export_body(world, filter={"kind": "issue"})
    problem = assert_problem(api.post("/api/v1/exports", json=body), 422, "validation")
    assert "either record_ids or filter" in problem["errors"][0]["message"]


def test_a_body_over_the_limit_is_a_413_problem(app, api, world):
    huge = {"project": world.project_a.public_id, "record_ids": ["a" * 16] * 20_000}
    assert_problem(api.post("/api/v1/exports", json=huge), 413, "too-large")


def test_a_bug_is_a_500_problem_without_the_trace(app, api):
    broken = Blueprint("broken_api", __name__)

    @broken.get("/api/v1/broken")
    def fail():
        raise RuntimeError("a secret detail of a bug")

    app.register_blueprint(broken)
    response = api.get("/api/v1/broken")
    body = assert_problem(response, 500, "server-error")
    assert "secret detail" not in response.get_data(as_text=True)
    assert body["title"] == "Internal Server Error"


def test_the_services_refusals_keep_their_status(app, api, world):
    app.config["EXPORT_MAX_RECORDS"] = 1
    records = factories.records(world.project_a, 2)
    db.session.commit()
    body = {"project": world.project_a.public_id, "record_ids": [r.public_id for r in records]}
    problem = assert_problem(api.post("/api/v1/exports", json=body), 400, "bad-request")
    assert "at most 1" in problem["detail"]


class TestQueueDown:
    @pytest.fixture
    def app_overrides(self):
        """Nothing listens on this port: Redis is down from the start."""
        return {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}

    def test_an_export_request_with_redis_down_is_a_503_problem_and_saves_nothing(self, api, world):
        response = api.post("/api/v1/exports", json=export_body(world))
        assert_problem(response, 503, "unavailable")
        assert int(response.headers["Retry-After"]) > 0
        assert Export.query.count() == 0
