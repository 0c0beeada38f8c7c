"""Who is calling /api/v1: the bearer key's user, never a browser session.

The key acts as its user, in their organisation, with their role: once the key is checked,
Flask-Login's `current_user` is that user for the request, so the tenant scope, the export
policy and the rate limit apply to API calls exactly as to the portal's. The session cookie
is never read for this: a request with a cookie and no key is a 401.
"""

from __future__ import annotations

from flask import g, request

from portal.api import keys, problems
from portal.models import KeyScope

# Requests a key of each scope may make; a `read` key changes nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES_ALLOWED = frozenset({KeyScope.EXPORT})


def authenticate_request():
    """The API blueprint's before_request: answers 401/403, or lets the view run as the key's
    user. Flask-Login reads `g._login_user` before it would look at the session."""
    secret = bearer_secret()
    if secret is None:
        return problems.unauthorized(
            "This API needs an API key: send `Authorization: Bearer sp_...`. Create a key on "
            "the API keys page of the portal."
        )
    key = keys.authenticate(secret)
    if key is None or not key.user.is_active:  # a removed member's keys are revoked too
        return problems.unauthorized(
            "This API key is not valid: it is unknown, revoked or expired."
        )
    if request.method not in SAFE_METHODS and key.scope not in WRITES_ALLOWED:
        return problems.problem(
            403,
            f"This key's scope is `{key.scope}`: it can only read. Use a key with scope `export`.",
        )
    g._login_user, g.api_key = key.user, key
    keys.record_use(key, request.remote_addr or "unknown")
    return None


def bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()
