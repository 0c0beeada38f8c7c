"""How often a share link may be used: per link and per client address, counted in Redis so
every web process sees them. Passcode guesses and token guesses are both requests here."""

from __future__ import annotations

from flask import current_app, request

from portal.extensions import limiter
from portal.shares import tokens


def per_link() -> str:
    """Keyed by the token's digest: the plain token is never written to Redis."""
    return f"share-link:{tokens.digest(str(request.view_args.get('token', '')))}"


def per_address() -> str:
    return f"share-address:{request.remote_addr or 'unknown'}"


_per_link = limiter.shared_limit(
    lambda: current_app.config["SHARE_TOKEN_RATE_LIMIT"], scope="share-link", key_func=per_link
)
_per_address = limiter.shared_limit(
    lambda: current_app.config["SHARE_ADDRESS_RATE_LIMIT"],
    scope="share-address",
    key_func=per_address,
)


def limited(view):
    """Both limits, on every route a link opens (its landing page and its downloads share
    each count)."""
    return _per_link(_per_address(view))
