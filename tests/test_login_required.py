"""Every page but the login form needs a session: found by walking the URL map, so a route
added later is covered without anyone remembering to add it here. The API is no page: it
answers 401 without a key (its documents are open to all)."""

from __future__ import annotations

import pytest

from tests.helpers import csrf

# A share's landing page and downloads: the token in the link is the recipient's credential.
PUBLIC = {"/login", "/static/<path:filename>", "/s/<token>", "/s/<token>/download"}
PUBLIC |= {"/verify", "/v/<code>", "/verify/check"}  # anyone may verify a file
TOKEN_ONLY = {"/metrics"}  # a scraper's bearer token, never a session: 404 without it
API_DOCUMENTS = {"/api/v1/openapi.json", "/api/v1/reference"}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "AbCdEfGhIjKlMnOp")
            url = url.replace(f"<path:{argument}>", "AbCdEfGhIjKlMnOp")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_every_route_but_login_sends_anonymous_users_to_the_login_form(app, client):
    token = csrf(client, "/login")
    checked = 0
    for method, url in routes(app):
        response = client.open(url, method=method, data={"csrf_token": token})
        checked += 1
        if url in TOKEN_ONLY:
            assert response.status_code == 404, url
        elif url in API_DOCUMENTS:
            assert response.status_code == 200, url
        elif url.startswith("/api/v1/"):
            assert response.status_code == 401, (method, url, response.status_code)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert "/login" in response.headers["Location"], (method, url)
    assert checked > 20


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_redirects_off_site(client, world, target):
    token = csrf(client, "/login")
    response = client.post(
        f"/login?next={target}",
        data={
            "email": "member@acme.test",
            "password": "correct horse battery",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, world):
    token = csrf(client, "/login")
    response = client.post(
        "/login", data={"email": "member@acme.test", "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "don&#39;t match an account" in response.get_data(as_text=True)


def test_login_attempts_are_rate_limited(app, client, world):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    token = csrf(client, "/login")
    bad = {"email": "member@acme.test", "password": "nope", "csrf_token": token}
    statuses = [client.post("/login", data=bad).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200
