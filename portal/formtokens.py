"""One-time form tokens, for the forms whose answer shows a secret once (a new API key, a new
webhook endpoint's signing secret).

That answer is the POST's own page: the secret never travels in a redirect, a flash message
or a log. A reload, Back/Forward or a second click posts the form again, so each form shown
carries a fresh token and the row it creates keeps it (a unique column): a repeated POST
finds that row and creates nothing, and of two racing POSTs the constraint lets one win.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db

FIELD = "form_token"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
STALE = "This form has expired: reload the page and fill it in again."
Made = TypeVar("Made")


class AlreadyUsed(Exception):
    """The form was posted before; `row` is what that first POST created."""

    def __init__(self, row):
        super().__init__("already created")
        self.row = row


def hidden_field() -> Markup:
    """The form's field, with a fresh token (32 random bytes, url-safe) each time it is shown."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, secrets.token_urlsafe(32)
    )


def register(app: Flask) -> None:
    app.add_template_global(hidden_field, "form_token_field")


def posted() -> str:
    """The posted form's token; 400 when it is missing or malformed."""
    token = request.form.get(FIELD, "")
    if not TOKEN.fullmatch(token):
        abort(400, STALE)
    return token


def create_once(model, token: str, make: Callable[[], Made]) -> Made:
    """What `make` adds (the row it flushes carries `token`), committed; AlreadyUsed if a
    POST of the same form made its row first. Any other IntegrityError is the caller's."""
    if (earlier := made_with(model, token)) is not None:
        raise AlreadyUsed(earlier)
    try:
        made = make()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if (earlier := made_with(model, token)) is not None:
            raise AlreadyUsed(earlier) from None
        raise
    return made


def made_with(model, token: str):
    """The caller's organisation's row created by the form with this token, if any."""
    return db.session.scalar(
        select(model).where(
            model.form_token == token, model.organization_id == current_user.organization_id
        )
    )
