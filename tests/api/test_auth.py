"""Who may call /api/v1: a usable key, as its user; never a browser session."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.models import ApiKey, Export, Record, utcnow
from tests import factories
from tests.api.calls import assert_problem
from tests.factories import bearer, login


def export_body(world, records) -> dict:
    return {"project": world.project_a.public_id, "record_ids": [r.public_id for r in records]}


def test_a_request_without_a_key_is_401_with_a_bearer_challenge(client, world):
    response = client.get("/api/v1/projects")
    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body["detail"]


def test_a_session_cookie_alone_is_401_on_every_method(client, world):
    login(client, "member@acme.test")
    assert client.get("/").status_code == 200  # the session is good for the portal
    for method, path in (("GET", "/api/v1/projects"), ("POST", "/api/v1/exports")):
        response = client.open(path, method=method, json={})
        assert_problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert Export.query.count() == 0


def test_the_api_sets_no_session_cookie(api):
    response = api.get("/api/v1/projects")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_revoked_key_is_401(caller, world):
    revoked = caller(world.member_a, revoked_at=utcnow())
    assert_problem(revoked.get("/api/v1/projects"), 401, "unauthorized")


def test_an_expired_key_is_401_and_one_not_yet_expired_works(caller, world):
    expired = caller(world.member_a, expires_at=utcnow() - timedelta(seconds=1))
    assert_problem(expired.get("/api/v1/projects"), 401, "unauthorized")
    fresh = caller(world.member_a, expires_at=utcnow() + timedelta(days=1))
    assert fresh.get("/api/v1/projects").status_code == 200


def test_a_wrong_or_malformed_secret_is_401(client, world, api):
    tampered = api.secret[:-1] + ("A" if api.secret[-1] != "A" else "B")
    for secret in (tampered, "sp_short", "x" * 46, api.secret + "x", "", "sp_\x00" * 12):
        response = client.get("/api/v1/projects", headers=bearer(secret))
        assert_problem(response, 401, "unauthorized")
    basic = client.get("/api/v1/projects", headers={"Authorization": f"Basic {api.secret}"})
    assert_problem(basic, 401, "unauthorized")


def test_a_read_key_cannot_request_an_export(caller, world):
    records = factories.records(world.project_a, 2)
    db.session.commit()
    reader = caller(world.member_a, scope="read")
    assert reader.get("/api/v1/exports").status_code == 200
    response = reader.post("/api/v1/exports", json=export_body(world, records))
    body = assert_problem(response, 403, "forbidden")
    assert "read" in body["detail"]
    assert Export.query.count() == 0


def test_a_read_key_cannot_push_records(caller, world):
    reader = caller(world.member_a, scope="read")
    url = f"/api/v1/projects/{world.project_a.public_id}/records/EXT-1"
    response = reader.put(url, json={"kind": "issue", "title": "Crack"})
    assert_problem(response, 403, "forbidden")
    assert Record.query.count() == 0


def test_a_key_acts_as_its_user_with_their_role(caller, world, make_export):
    """An org admin's key sees a colleague's export; a member's key does not."""
    colleague_export = make_export()
    url = f"/api/v1/exports/{colleague_export.public_id}"
    assert caller(world.admin_a).get(url).status_code == 200
    other_member = factories.user(world.org_a, "other@acme.test")
    db.session.commit()
    assert_problem(caller(other_member).get(url), 404, "not-found")


def test_use_is_recorded_with_time_and_address(api):
    key = ApiKey.query.one()
    assert key.last_used_at is None
    api.get("/api/v1/projects", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    db.session.expire_all()
    key = ApiKey.query.one()
    assert key.last_used_ip == "203.0.113.9"
    assert utcnow() - key.last_used_at < timedelta(minutes=1)
