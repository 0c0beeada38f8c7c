"""Who is logged in, and what happens when nobody is."""

from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from portal.api import problems
from portal.exports.poll import Viewer, viewer_read_for
from portal.extensions import db, login_manager
from portal.models import User

# A share's recipient has no account: its token is their credential (portal/shares/).
# /metrics is read by a scraper, not a person: its own bearer token guards it (admin/metrics.py).
PUBLIC_ENDPOINTS = {"auth.login", "static", "shares.landing", "shares.download", "metrics.metrics"}
PUBLIC_ENDPOINTS |= {"verify.page", "verify.version", "verify.check"}  # anyone may verify a file


def configure_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.before_request(require_login)


@login_manager.user_loader
def load_user(user_id: str) -> User | Viewer | None:
    """The session's user; on an export's status poll, the one read with the export's row
    (portal/exports/poll.py), which saves the poll a query. A member removed since (their
    row deactivated) has no session any more."""
    if not user_id.isdigit():
        return None
    if viewer := viewer_read_for(int(user_id)):
        return viewer
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


@login_manager.unauthorized_handler
def unauthorized():
    """An htmx poll after the session ended navigates the whole page to the login form,
    instead of drawing the login form inside the fragment that asked; after logging in the
    user returns to the page they were on, not to the fragment's URL."""
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": url_for("auth.login", next=page_path())}
    return redirect(url_for("auth.login", next=return_path()))


def return_path() -> str:
    return landing(request.full_path.rstrip("?"))


def landing(path: str) -> str:
    """Where the login form sends the user back to. Not to a download: it redirects on to S3,
    and Chromium holds the whole redirect chain of the login POST to the CSP's
    `form-action 'self'`, so the user would stay on the login form. The export's page,
    marked, starts the download itself with an ordinary navigation."""
    try:
        endpoint, args = current_app.url_map.bind("").match(urlsplit(path).path, method="GET")
    except HTTPException:
        return path
    if endpoint == "exports.download":
        return url_for("exports.show", public_id=args["public_id"], download=1)
    return path


def page_path() -> str:
    """The path of the page an htmx request came from (HX-Current-URL is a full URL, and a
    header anyone can send: one that does not parse, like `http://[`, is ignored)."""
    try:
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
    except ValueError:
        current = None
    if current and current.path:
        return current.path + (f"?{current.query}" if current.query else "")
    return request.full_path.rstrip("?")


def require_login():
    """Every page but the login form (and static files) needs a session. The API is not a
    page: its own key check runs instead, and its requests never load a session's user."""
    if problems.is_api():
        return None
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()
