"""Logging in and out."""

import hashlib
import re
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from sqlalchemy import func, select
from werkzeug.urls import iri_to_uri
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, Regexp

from portal.auth.passwords import hash_password, verify_password
from portal.auth.session import landing
from portal.extensions import db, limiter
from portal.models import User

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
ACCOUNT_KEY_PREFIX = "login-account:"
ACCOUNT_LIMITED = (
    "Too many failed logins to this account. Wait a few minutes, then try again "
    "(or ask your organisation's admin to check your password)."
)
ADDRESS_LIMITED = "Too many failed logins from your network. Wait a minute, then try again."


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired(),
            Length(max=254),
            Regexp(PRINTABLE, message="Enter the email address of your account."),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def normalised_email(email: str | None) -> str:
    return (email or "").strip().lower()


def account_key() -> str:
    """The per-account counter: the email normalised as `authenticate` matches it, hashed to
    bound the key. An unknown address counts like a real one, so the limit tells nobody which
    accounts exist."""
    email = normalised_email(request.form.get("email"))
    return ACCOUNT_KEY_PREFIX + hashlib.sha256(email.encode()).hexdigest()


def login_failed(_response) -> bool:
    """Only a password checked and refused counts: a team behind one office address logging
    in together is never limited by its own successes."""
    return g.get("login_failed", False)


def failed_logins_limit(setting: str, key_func, message: str, **options):
    """A Flask-Limiter limit, counted in Redis, on the failed logins of one `key_func` value."""
    return limiter.limit(
        lambda: current_app.config[setting],
        methods=["POST"],
        key_func=key_func,
        deduct_when=login_failed,
        error_message=message,
        **options,
    )


@bp.route("/login", methods=["GET", "POST"])
@failed_logins_limit("LOGIN_RATE_LIMIT", get_remote_address, ADDRESS_LIMITED)
@failed_logins_limit("LOGIN_ACCOUNT_RATE_LIMIT", account_key, ACCOUNT_LIMITED, scope="account")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("records.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user:
            forget_failed_logins()
            login_user(user)
            return redirect(landing(safe_next(request.args.get("next"))))
        g.login_failed = True
        flash("That email and password don't match an account.", "error")
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == normalised_email(email)))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def forget_failed_logins() -> None:
    """A login that passed the password check clears the account's failures, so the owner's
    own typos, or a spray that has ended, never count against their next visit."""
    key = account_key()
    try:
        for current in limiter.current_limits:
            if key in current.request_args:
                limiter.limiter.clear(current.limit, *current.request_args)
    except RedisError:
        current_app.logger.warning("could not reset the login limit: Redis unreachable")


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
