"""The pages errors answer with: readable titles and messages, never a trace."""

from __future__ import annotations

import re

from flask import Blueprint
from sqlalchemy import select

from portal.extensions import db
from portal.models import Project
from tests.factories import login
from tests.helpers import csrf


def broken_blueprint() -> Blueprint:
    bp = Blueprint("broken", __name__)

    @bp.get("/broken")
    def broken():
        raise RuntimeError("a bug in a view")

    @bp.post("/broken/flush")
    def failed_flush():
        """A write the database refuses (a second project with the same public id)."""
        taken = db.session.scalar(select(Project.public_id))
        db.session.add(Project(organization_id=1, name="Twin", code="TW", public_id=taken))
        db.session.flush()

    return bp


def test_a_failed_write_is_answered_from_a_rolled_back_session(app, client, world):
    """The error page reads the signed-in user: from a session left unusable by the failed
    flush, the handler raised too (PendingRollbackError) and the client got no answer."""
    app.register_blueprint(broken_blueprint())
    login(client, "member@acme.test")
    response = client.post("/broken/flush", headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 500
    assert "Acme Build" in response.get_data(as_text=True)  # the user and their organisation


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
