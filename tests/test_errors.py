"""The pages errors answer with: readable titles and messages, never a trace."""

from __future__ import annotations

import re

from flask import Blueprint

from tests.factories import login


def broken_blueprint() -> Blueprint:
    bp = Blueprint("broken", __name__)

    @bp.get("/broken")
    def broken():
        raise RuntimeError("a bug in a view")

    return bp


def test_an_unexpected_error_answers_500_with_a_readable_title(app, client, world):
    app.register_blueprint(broken_blueprint())
    login(client, "member@acme.test")
    response = client.get("/broken")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert re.search(r"<title>Internal Server Error · Sitepack</title>", page)
    assert "<h1>Internal Server Error</h1>" in page
    assert "property object" not in page and "a bug in a view" not in page


def test_an_unexpected_error_answers_json_to_the_api(app, client, world):
    app.register_blueprint(broken_blueprint(), url_prefix="/api")
    login(client, "member@acme.test")
    response = client.get("/api/broken")
    assert response.status_code == 500
    assert response.get_json()["title"] == "Internal Server Error"
