"""The /api/v1 blueprint and what runs before each of its views: the key, then the body."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from portal import screening
from portal.api import problems
from portal.api.auth import authenticate_request
from portal.extensions import login_manager

bp = Blueprint("api", __name__, url_prefix=problems.API_PREFIX)
# What a route's body must be: a photo upload is multipart/form-data, any other body JSON.
BODY_TYPES = {"api.post_photo": "multipart/form-data"}
# Open to anyone, like any API's documentation: they describe, and change nothing.
PUBLIC = {"api.openapi", "api.reference"}
# Routes whose body may be larger than MAX_CONTENT_LENGTH, and the setting that says how much.
LARGE_BODIES = {"api.post_photo": "API_PHOTO_MAX_BYTES"}


@bp.before_request
def before_view():
    if request.endpoint in PUBLIC:
        # Nobody, for Flask-Login: not even the documents read the session under /api/v1.
        g._login_user = login_manager.anonymous_user()
        return None
    refused = authenticate_request()
    if refused is not None:
        return refused
    if request.endpoint in LARGE_BODIES:
        request.max_content_length = current_app.config[LARGE_BODIES[request.endpoint]]
    return check_body()


def check_body():
    """415 for a body of another type than the route reads, 400 for JSON nested too deep or
    that does not parse, 422 for text that may not come in (portal/screening.py): all before
    validation, which would otherwise report missing fields."""
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return None
    expected = BODY_TYPES.get(request.endpoint, "application/json")
    if request.mimetype != expected:
        return problems.problem(
            415, f"Send the body as {expected}, not {request.mimetype or 'untyped'}."
        )
    if expected != "application/json":
        found = [(name, reason) for name, _part, reason in screening.unstorable_form_fields()]
        return unstorable(found)
    refused = screening.too_deep(request.get_data(cache=True))
    if refused:
        return problems.problem(400, refused)
    body = request.get_json(silent=True)
    if body is None:
        return problems.problem(400, "The body is not valid JSON.")
    return unstorable(screening.unstorable_strings(body))


def unstorable(found: list[tuple[str, str]]):
    """422 naming each field as validation does (`body.links.0.url`), or None."""
    if not found:
        return None
    errors = [
        {"field": ".".join(filter(None, ("body", path))), "message": f"must not contain {why}"}
        for path, why in found
    ]
    return problems.problem(422, "The request is not valid: see `errors`.", errors=errors)
