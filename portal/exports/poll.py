"""The status poll, made cheap: a thousand people watching must not slow the work they watch.

An export's page polls its status fragment every few seconds while the export is live. The
fragment carries an ETag over everything it renders from, which the page's script sends back
as If-None-Match; while nothing changed the answer is a 304 with no body, and htmx leaves the
element alone (templates/base.html's htmx-config).

Such a 304 is answered by `UnchangedPolls`, a WSGI middleware in front of Flask, with one
indexed query that reads the export's row, the navbar's count and the viewer's access at once.
It checks the session exactly as Flask and Flask-Login would (the signed cookie, its age, the
"strong" protection's identifier) and answers only a poll it can prove unchanged for a viewer
allowed to see it; anything else (no session, a cookie that fails a check, another
organisation's export, a changed tag) goes on to Flask, which gives the usual answer: the
login redirect, a 404, or the fragment rendered from the same row (no ORM objects, no lazy
loads). A terminal state is rendered once from the ORM export, as the export's page does,
and its fragment stops the polling.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from hashlib import sha512
from pathlib import Path
from typing import NamedTuple

from flask import Flask, abort, request
from flask_login import UserMixin, current_user
from itsdangerous import BadSignature
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import OperationalError
from werkzeug.http import parse_cookie, parse_etags
from werkzeug.wrappers import Response

from portal import vocabulary
from portal.exports import states
from portal.exports.presenter import queue_position
from portal.extensions import db
from portal.models import Export, ExportKindMixin, Project, User
from portal.tenancy import PUBLIC_ID

STATUS_PATH = re.compile(rf"/exports/({PUBLIC_ID.pattern})/status")
CACHE_CONTROL = "private, no-cache"  # each user's own answer; a browser must ask again
ROW_KEY = "sitepack.status_row"  # the row the middleware read, for the view it passes on to


@dataclass(frozen=True)
class Viewer(UserMixin):
    """Who polls, read with the export's row: what states.role_of and the status view read
    of a user. Flask-Login's current_user on that request (auth.session.load_user), so the
    poll needs no second query; anything else asked of it loads the User."""

    id: int
    organization_id: int
    role: str
    is_staff: bool

    @property
    def is_admin(self) -> bool:
        return vocabulary.is_admin(self.role)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(db.session.get(User, self.id), name)


class Named(NamedTuple):
    """What the fragment reads of the export's project and requester."""

    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class ExportRow(ExportKindMixin):
    """An export as its status fragment reads it (the same attribute names as `Export`), plus
    the viewer's count of live exports for the navbar."""

    id: int
    public_id: str
    kind: str
    options: dict | None
    organization_id: int
    requested_by_id: int
    status: str
    queue_name: str
    total: int
    files: int
    done: int
    attempt: int
    cache_hits: int
    started_at: datetime | None
    expires_at: datetime | None
    finished_at: datetime | None
    next_try_at: datetime | None
    next_try_number: int | None
    max_tries: int | None
    error: str | None
    project: Named | None  # a bundle may be filed under no project
    requested_by: Named
    active: int  # the viewer's live exports: the navbar's count
    viewer: Viewer

    @property
    def live(self) -> bool:
        return states.effective(self) in states.LIVE


_live = Export.__table__.alias("live")
_viewer = User.__table__.alias("viewer")
# The columns of ExportRow, in its order.
COLUMNS = (
    Export.id, Export.public_id, Export.kind, Export.options, Export.organization_id,
    Export.requested_by_id, Export.status, Export.queue_name, Export.total, Export.files,
    Export.done, Export.attempt, Export.cache_hits,
    Export.started_at, Export.expires_at, Export.finished_at, Export.next_try_at,
    Export.next_try_number, Export.max_tries, Export.error, Project.name, User.email,
)  # fmt: skip
VIEWER = (_viewer.c.id, _viewer.c.organization_id, _viewer.c.role, _viewer.c.is_staff)
ACTIVE = (
    select(func.count())
    .where(_live.c.requested_by_id == bindparam("viewer"))
    # Not IN (…): SQLAlchemy would expand that list anew at every poll.
    .where(or_(*(_live.c.status == str(s) for s in states.LIVE)))
    .scalar_subquery()
)
# Built once: each poll only binds its values (SQLAlchemy caches the compiled form too).
# Who may see an export is access.export_or_404's rule, written here as SQL: within the
# viewer's organisation, its requester or an admin (User.is_admin).
STATUS_QUERY = (
    select(*COLUMNS, ACTIVE, *VIEWER)
    .outerjoin(Project, Project.id == Export.project_id)
    .join(User, User.id == Export.requested_by_id)
    .join(_viewer, _viewer.c.id == bindparam("viewer"))
    .where(_viewer.c.deactivated_at.is_(None))  # a removed member has no session
    .where(Export.public_id == bindparam("public_id"))
    .where(Export.organization_id == _viewer.c.organization_id)
    .where(or_(Export.requested_by_id == _viewer.c.id, _viewer.c.role == vocabulary.ADMIN_ROLE))
)


def find_row(public_id: str, viewer_id: int, connection=None) -> ExportRow | None:
    """The export as `viewer_id` may see it, in one query; None if they may not."""
    params = {"public_id": public_id, "viewer": viewer_id}
    found = (connection or db.session).execute(STATUS_QUERY, params).first()
    if found is None:
        return None
    *columns, project_name, requester_email, active = found[: -len(VIEWER)]
    viewer = Viewer(*found[-len(VIEWER) :])
    project = Named(name=project_name) if project_name is not None else None
    return ExportRow(*columns, project, Named(email=requester_email), active or 0,
                     viewer)  # fmt: skip


def viewer_read_for(user_id: int) -> Viewer | None:
    """The user the middleware read with this request's export row, if it was this one."""
    row = request.environ.get(ROW_KEY)
    return row.viewer if row is not None and row.viewer.id == user_id else None


def export_row_or_404(public_id: str) -> ExportRow:
    """The export by its public id, as `access.export_or_404` would allow it; the row the
    middleware read for this request when it was read for this user."""
    if not isinstance(public_id, str) or not PUBLIC_ID.fullmatch(public_id):
        abort(404)
    row = request.environ.get(ROW_KEY)
    if row is None or row.public_id != public_id or row.viewer.id != current_user.id:
        row = find_row(public_id, current_user.id)
    if row is None:
        abort(404)
    return row


def _template_version() -> str:
    """Part of every ETag: a deploy that changes what the fragment says changes the tags."""
    folder = Path(__file__).resolve().parents[2] / "templates" / "exports"
    digest = hashlib.blake2b(digest_size=8)
    for name in ("_status.html", "_status_poll.html", "_activity.html", "_cancel.html"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


TEMPLATE_VERSION = _template_version()


def etag(row: ExportRow, position: int | None, refresh: int, now: float | None = None) -> str:
    """Everything the fragment renders from, hashed: the row's columns, the viewer (their
    role picks the buttons; the tag is theirs alone), the queue position, the navbar count,
    and for a live export the clock in steps of `refresh` seconds (STATUS_REFRESH_SECONDS),
    for what the fragment computes from it (the ETA, "next try in 5 minutes")."""
    state = states.effective(row)
    role = states.role_of(row.viewer, row)
    clock = int((now or time.time()) // refresh) if state in states.LIVE else None
    parts = (TEMPLATE_VERSION, role, state, position, clock, row)
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def position_of(row: ExportRow) -> int | None:
    """Jobs ahead in the lane, for a queued export (from Redis; None when it cannot say)."""
    return queue_position(row) if states.effective(row) == states.PENDING else None


class UnchangedPolls:
    """WSGI middleware in front of Flask's: answers a status poll 304 when it can prove it
    unchanged for a viewer allowed to see it, and passes every other request on. It reads
    through a pooled connection of the app's engine, without the ORM session."""

    def __init__(self, app: Flask):
        self.app, self.wsgi_app = app, app.wsgi_app
        self.cookie = app.config["SESSION_COOKIE_NAME"]
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.max_age = int(app.permanent_session_lifetime.total_seconds())
        self.headers = not_modified_headers(app)
        self.refresh = app.config["STATUS_REFRESH_SECONDS"]
        self.engine = None
        # A signature checked once need not be checked again: the same cookie verifies the
        # same way until it is too old, which session_user checks on every poll.
        self.verified = lru_cache(maxsize=4096)(self._verify)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = STATUS_PATH.fullmatch(environ.get("PATH_INFO", ""))
            try:
                tag = match and self.unchanged(environ, match[1])
            except OperationalError:  # the database restarting: Flask answers 503 (errors.py)
                tag = None
            if tag:
                start_response("304 NOT MODIFIED", [("ETag", f'"{tag}"'), *self.headers])
                return []
        return self.wsgi_app(environ, start_response)

    def unchanged(self, environ, public_id: str) -> str | None:
        """The poll's tag when it matches If-None-Match for a viewer who may see the export;
        otherwise None, the row kept in the environment for the view."""
        viewer = self.session_user(environ)
        if viewer is None:
            return None
        if self.engine is None:
            with self.app.app_context():
                self.engine = db.engine
        with self.engine.connect() as connection:
            row = find_row(public_id, viewer, connection)
        if row is None:
            return None
        if states.effective(row) == states.PENDING:  # its queue position, from Redis
            with self.app.app_context():
                tag = etag(row, position_of(row), self.refresh)
        else:
            tag = etag(row, None, self.refresh)
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(tag):
            return tag
        environ[ROW_KEY] = row
        return None

    def session_user(self, environ) -> int | None:
        """The logged-in user's id, when Flask would open this session and Flask-Login would
        accept it: signed, not too old, its "strong" identifier this client's."""
        value = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self.cookie)
        if not value or self.serializer is None:
            return None
        session, signed_at = self.verified(value)
        if not isinstance(session, dict) or time.time() - signed_at > self.max_age:
            return None
        user_id = session.get("_user_id")
        if not isinstance(user_id, str) or not user_id.isdigit():
            return None
        return int(user_id) if session.get("_id") == login_identifier(environ) else None

    def _verify(self, value: str) -> tuple[object, float]:
        try:
            session, signed_at = self.serializer.loads(value, return_timestamp=True)
        except BadSignature:
            return None, 0.0
        return session, signed_at.timestamp()


def login_identifier(environ) -> str:
    """Flask-Login's session identifier (flask_login.utils._create_identifier), from the WSGI
    environment: its "strong" protection drops a session used from another address or
    browser. tests/exports/test_status_poll.py holds the two to the same value."""
    agent = environ.get("HTTP_USER_AGENT")
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    base = f"{address}|{agent.encode('utf-8') if agent is not None else None}"
    return sha512(base.encode("utf8")).hexdigest()


def not_modified_headers(app: Flask) -> list[tuple[str, str]]:
    """What Flask's path sends with a 304: the security headers and the cache policy."""
    from portal.security import policy

    response = Response(status=304)
    policy(app).set_headers(response)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")
    return [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-type",)]
