"""The "API keys" page: a member creates and revokes personal keys; an org admin sees and can
revoke every key of the organisation. A new key's secret is shown once, in the answer to the
form that created it (never in a redirect, a flash message or a log); the form's one-time token
makes a reload of that answer create nothing (portal/formtokens.py)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal import formtokens
from portal.api import keys
from portal.auth.views import PRINTABLE
from portal.extensions import db
from portal.models import ApiKey, KeyScope, utcnow
from portal.models.lengths import API_KEY_NAME_MAX

bp = Blueprint("apikeys", __name__)

SCOPE_CHOICES = [
    SelectChoice(KeyScope.READ.value, "read: list projects, records and exports"),
    SelectChoice(KeyScope.EXPORT.value, "export: also request exports, push records and photos"),
]


class NewKeyForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired(),
            Length(max=API_KEY_NAME_MAX),
            Regexp(PRINTABLE, message="Use letters, digits and punctuation only."),
        ],
    )
    scope = SelectField("Scope", choices=SCOPE_CHOICES, default=KeyScope.READ.value)
    expires_on = DateField("Expires on (optional)", validators=[Optional()])

    def validate_expires_on(self, field) -> None:
        # strptime reads any Unicode digit: "２０３０-01-01" would be taken for 2030.
        if field.raw_data and not field.raw_data[0].isascii():
            raise ValidationError("Write the date as YYYY-MM-DD with the digits 0 to 9.")
        if field.data and field.data <= utcnow().date():
            raise ValidationError("Choose a date after today, or leave it empty.")


@bp.get("/settings/api-keys")
def index():
    return page(NewKeyForm())


@bp.post("/settings/api-keys")
def create():
    form = NewKeyForm()
    if not form.validate_on_submit():
        return page(form, status=400)
    token = formtokens.posted()
    expires_at = datetime.combine(form.expires_on.data, time.min) if form.expires_on.data else None
    scope, name = KeyScope(form.scope.data), form.name.data
    try:
        issued = formtokens.create_once(
            ApiKey, token, lambda: keys.issue(current_user, name, scope, expires_at, token)
        )
    except formtokens.AlreadyUsed as used:
        return page(NewKeyForm(formdata=None), repeated=used.row)
    return page(NewKeyForm(formdata=None), issued=issued)


@bp.post("/settings/api-keys/<public_id>/revoke")
def revoke(public_id: str):
    key = db.session.scalar(
        select(ApiKey).where(
            ApiKey.public_id == public_id, ApiKey.organization_id == current_user.organization_id
        )
    )
    if key is None or not keys.may_revoke(key, current_user):
        abort(404)
    if keys.revoke(key, current_user):
        flash(f"Key “{key.name}” revoked: requests with it now answer 401.", "success")
    return redirect(url_for("apikeys.index"), 303)


def page(
    form: NewKeyForm,
    issued: keys.IssuedKey | None = None,
    repeated: ApiKey | None = None,
    status: int = 200,
):
    """The page; `no-store`, as it may carry a secret that must not linger in any cache.
    `repeated` is the key that an earlier POST of the same form made."""
    html = render_template(
        "apikeys/index.html",
        form=form,
        issued=issued,
        repeated=repeated,
        api_keys=keys.visible_keys(current_user),
        usable=keys.is_usable,
    )
    return html, status, {"Cache-Control": "no-store"}
