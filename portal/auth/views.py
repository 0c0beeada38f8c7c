"""Logging in and out."""

import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.urls import iri_to_uri
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp

from portal.auth import throttle
from portal.auth.passwords import hash_password, verify_password
from portal.auth.session import landing
from portal.extensions import db
from portal.models import User
from portal.models.lengths import EMAIL_MAX

bp = Blueprint("auth", __name__)

# Verifying against a real hash when the email is unknown keeps response times equal,
# so the login form does not reveal which addresses have accounts.
_DUMMY_HASH = hash_password("not-a-real-password")
# No control characters (a NUL byte makes PostgreSQL refuse the query) in an email address.
PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*\Z")
# A path on this site: one slash, then no second slash or backslash (`//host` and `/\host` are
# other sites to a browser), and no whitespace or control characters anywhere (browsers drop
# tabs and newlines, so `/\t/host` is `//host` too).
LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\s\x00-\x1f\x7f]*\Z")


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=EMAIL_MAX),
            Regexp(PRINTABLE, message="Enter the email address of your account."),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def normalised_email(email: str | None) -> str:
    return (email or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("records.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email, address = normalised_email(form.email.data), get_remote_address()
        throttle.check(email, address)
        user = authenticate(email, form.password.data)
        if user:
            throttle.forget_failures(email, address)
            login_user(user)
            return redirect(landing(safe_next(request.args.get("next"))))
        throttle.count_failure(email, address)
        flash("That email and password don't match an account.", "error")
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


def authenticate(email: str, password: str) -> User | None:
    """A removed member (deactivated) is refused exactly as an unknown email is."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == normalised_email(email)))
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (`//evil.test`, `https://evil.test`,
    `/\\evil.test`) lands on the home page. Checked again as Werkzeug will write it into the
    Location header, since that rewriting collapses `////evil.test` into `//evil.test`."""
    if target and is_local_path(target) and is_local_path(iri_to_uri(target)):
        return target
    return url_for("records.home")


def is_local_path(target: str) -> bool:
    parts = urlsplit(target)
    return (
        LOCAL_PATH.match(target) is not None
        and not parts.scheme
        and not parts.netloc
        and not unquote(parts.path).startswith(("//", "/\\"))
    )
