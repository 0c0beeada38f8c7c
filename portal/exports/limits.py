"""How often a person may ask for an export: one budget per person, shared by the portal's
form and POST /api/v1/exports (a shared limit has one counter for every route it decorates),
counted in Redis so every web process sees it."""

from flask import current_app, request
from flask_login import current_user

from portal.extensions import limiter


def export_rate_limit() -> str:
    return current_app.config["EXPORT_RATE_LIMIT"]


def per_person() -> str:
    return f"user:{current_user.id}"


def dry_run() -> bool:
    """The API's dry run asks for nothing (it answers an estimate), so it spends no budget."""
    body = request.get_json(silent=True) if request.is_json else None
    return isinstance(body, dict) and body.get("dry_run") is True


export_requests = limiter.shared_limit(
    export_rate_limit, scope="export-requests", key_func=per_person, exempt_when=dry_run
)
