"""The public Verify page: anyone, logged in or not, checks a file Sitepack is said to have made.

The browser hashes the file itself (static/js/verify.js, Web Crypto) and sends only the
sha256, so the file never leaves the person's machine; the answer names what the file itself
shows, and only for an exact digest (portal/renders/issued.py). Checks are limited per client
address (VERIFY_RATE_LIMIT), so the digest lookup is no oracle to walk.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_limiter.util import get_remote_address

from portal.extensions import limiter
from portal.renders import codes, issued

bp = Blueprint("verify", __name__)
SHA256 = re.compile(r"[0-9a-f]{64}")


def verify_rate_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


per_address = limiter.shared_limit(verify_rate_limit, scope="verify", key_func=get_remote_address)


@bp.get("/verify")
def page():
    return render_template("verify/page.html", named=None)


@bp.get("/v/<code>")
def version(code: str):
    """The page a record PDF's QR code opens: which version it names, and the same check."""
    named = issued.by_code(code) if codes.CODE.fullmatch(code) else None
    if named is None:
        abort(404)
    return render_template("verify/page.html", named=named)


@bp.get("/verify/check")
@per_address
def check():
    digest = request.args.get("sha256", "").lower()
    if not SHA256.fullmatch(digest):
        abort(400, "Send the file's sha256 as 64 hexadecimal digits.")
    return jsonify(issued.answer(digest).as_dict())
