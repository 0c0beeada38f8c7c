"""What tests do besides building data (that is tests/factories.py): build the app's config,
read a page's CSRF token, reload a row, press the buttons a user presses, and check what
landed in the bucket.

Fixtures live in the conftest files; tests import these instead, never a conftest.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile
from contextlib import contextmanager
from pathlib import Path

import jinja2
import jinja2.bccache
import psycopg
import redis as redis_lib
from botocore.exceptions import ClientError
from flask import Flask
from flask.testing import FlaskClient
from psycopg import sql
from sqlalchemy import create_engine, event, func, make_url, select, text

from portal import config as settings
from portal.extensions import db
from portal.models import Export
from portal.outbound.guard import system_resolver
from portal.storage import client as s3

ROOT = Path(__file__).resolve().parent.parent
# A form's hidden field, or the header htmx sends from <body hx-headers>: the same token.
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def procfile(name: str) -> dict[str, str]:
    """The process types of a Procfile at the repository's root, name to command."""
    lines = (ROOT / name).read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def database_of_worker(url: str, worker: str) -> str:
    """An empty PostgreSQL database beside `url`'s for one pytest-xdist worker (gw0, gw1, …):
    each worker runs a session of its own, and sessions must not empty each other's tables."""
    base = make_url(url)
    name = f"{base.database}_{worker}"
    server = dict(host=base.host, port=base.port, user=base.username, password=base.password)
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return base.set(database=name).render_as_string(hide_password=False)


def environment(folder: Path, redis_url: str, s3_endpoint, mail_sink) -> dict[str, str]:
    """The environment of one app and its workers on the session's servers: Redis emptied,
    a new bucket, and a new SQLite file in `folder` unless TEST_DATABASE_URL names a database."""
    mail_sink.messages.clear()
    redis_lib.Redis.from_url(redis_url).flushdb()
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{folder / 'test.db'}"
    return {
        "SITEPACK_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "S3_BUCKET": f"t-{uuid.uuid4().hex[:20]}",
        "S3_ENDPOINT_URL": s3_endpoint.url,
        "AWS_ACCESS_KEY_ID": s3_endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_endpoint.secret_key,
        "AWS_REGION": "us-east-1",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_sink.port),
        "PUBLIC_BASE_URL": "http://sitepack.test",
        "SESSION_COOKIE_SECURE": "false",
        "EXPORT_RETRY_INTERVALS": "",
        "EXPORT_RATE_LIMIT": "100 per minute",
    }


# What a made-up public name resolves to in tests (example.com's address: public, never dialled).
PUBLIC_ADDRESS = "93.184.215.14"
MADE_UP_TLDS = (".test", ".example")  # RFC 2606: never a real name


def made_up_names(host: str, port: int) -> list[str]:
    """The outbound guard's resolver in tests (OUTBOUND_RESOLVER): a name under a reserved
    TLD is public, at PUBLIC_ADDRESS; any other is the system's (only loopback resolves here)."""
    if host.lower().rstrip(".").endswith(MADE_UP_TLDS):
        return [PUBLIC_ADDRESS]
    return system_resolver(host, port)


def config_from_env(env: dict[str, str]) -> dict:
    """The same parsing the worker processes apply to the same variables."""
    return {**settings.from_environment(env), "TESTING": True}


class SharedTemplateCache(jinja2.BytecodeCache):
    """Compiled templates shared by every app a test session builds. Each test builds its own
    app, and each app's Jinja environment would compile every template it renders again; the
    bucket checks the source's checksum, so an edited template still compiles anew."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedTemplateCache()


def for_tests(app: Flask) -> Flask:
    """What every test's app gets: a fresh app context per request and the shared templates."""
    app.test_client_class = FreshContextClient
    app.jinja_env.bytecode_cache = TEMPLATES
    return app


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production: without this, requests would
    share the test's context, its `g` (and so Flask-Login's cached user) and its session."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def fresh_database() -> None:
    """An empty schema for this test. SQLite: a new file. PostgreSQL: end stray sessions (a
    killed work-horse's, say) that would hold locks, recreate any table a test dropped, then
    empty every table and restart every sequence, so ids start at 1 as on SQLite. DELETE, not
    TRUNCATE: a test's tables hold a few rows, and TRUNCATE makes and syncs new files for each
    table (30 ms against 900 ms per test on a busy machine)."""
    if db.engine.dialect.name != "postgresql":
        _copy_sqlite_schema(db.engine.url.database)
        return
    db.session.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    db.session.commit()
    db.create_all()
    empty = [f"DELETE FROM {t.name}" for t in reversed(db.metadata.sorted_tables)]
    sequences = db.session.scalars(
        text("SELECT sequence_name FROM information_schema.sequences")
    ).all()
    restart = [f"ALTER SEQUENCE {name} RESTART" for name in sequences]
    db.session.connection().exec_driver_sql("; ".join(empty + restart))
    db.session.commit()


_SQLITE_SCHEMA: dict[str, Path] = {}


def _copy_sqlite_schema(path: str | None) -> None:
    """A test's SQLite file is a copy of one built once per session: creating thirty tables
    costs a disk sync each, and a copy costs one write."""
    if not path or path == ":memory:":
        db.create_all()
        return
    if "file" not in _SQLITE_SCHEMA:
        template = Path(tempfile.mkdtemp(prefix="sitepack-schema-")) / "schema.db"
        engine = create_engine(f"sqlite:///{template}")
        db.metadata.create_all(engine)
        engine.dispose()
        _SQLITE_SCHEMA["file"] = template
    db.engine.dispose()
    shutil.copyfile(_SQLITE_SCHEMA["file"], path)


def footprint(app) -> tuple:
    """Every table's row count, every export's state, every RQ key and every object in the
    bucket: what a refused request must leave as it was."""
    db.session.rollback()
    tables = db.metadata.sorted_tables
    sizes = [select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables]
    counts = db.session.execute(select(*sizes)).one()._asdict()
    states = db.session.execute(select(Export.id, Export.status).order_by(Export.id)).all()
    jobs = sorted(redis_lib.Redis.from_url(app.config["REDIS_URL"]).scan_iter("rq:*"))
    try:
        objects = s3.list_keys("")
    except ClientError:  # no bucket yet: nothing in it
        objects = []
    return counts, states, jobs, objects


def csrf_token(html: str) -> str:
    """The CSRF token a page carries, as a browser would send it back."""
    found = CSRF_TOKEN.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1) or found.group(2)


def csrf(client, page: str = "/exports") -> str:
    """The token read from a real page (the session's token: any page of it will do)."""
    return csrf_token(client.get(page).get_data(as_text=True))


def once_form(client, page: str) -> dict[str, str]:
    """The hidden fields of a form that shows a secret once, read from its page as a browser
    would send them: the CSRF token and the form's one-time token (portal/formtokens.py)."""
    html = client.get(page).get_data(as_text=True)
    found = FORM_TOKEN.search(html)
    assert found, "the page carries no one-time form token"
    return {"csrf_token": csrf_token(html), "form_token": found.group(1)}


def csrf_headers(client, extra: dict | None = None, page: str = "/") -> dict:
    """The headers htmx sends from <body hx-headers>, read from a real page."""
    return {"X-CSRFToken": csrf(client, page), **(extra or {})}


def reload(export: Export | int) -> Export:
    """The row as the database holds it now (a worker process may have changed it)."""
    db.session.expire_all()
    return db.session.get(Export, export if isinstance(export, int) else export.id)


def request_export(client, project, records=None, **form):
    """POST /exports as the browser does, CSRF token included; records=None uses the selection."""
    data = {"project": project.public_id, "csrf_token": csrf(client), **form}
    if records is not None:
        data["record"] = [r.public_id for r in records]
    return client.post("/exports", data=data)


def confirm_and_post(client, export: Export, action: str):
    """Do what an admin does: open the confirmation page, then press its button."""
    page = client.get(f"/admin/exports/{export.public_id}/confirm/{action}")
    assert page.status_code == 200, page.status_code
    return client.post(
        f"/admin/exports/{export.public_id}/{action}",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "confirmed": "yes"},
    )


def unzip_test(path) -> bool:
    """Info-ZIP's `unzip -t` when installed (Debian's unzip), else zipfile's own check."""
    if shutil.which("unzip"):
        return subprocess.run(["unzip", "-tqq", str(path)]).returncode == 0
    with zipfile.ZipFile(path) as zf:
        return zf.testzip() is None


def listed_uploads() -> list[str]:
    """Keys with an incomplete upload; rclone answers NoSuchUpload instead of an empty list."""
    try:
        answer = s3.boto().list_multipart_uploads(Bucket=s3.bucket())
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchUpload":
            return []
        raise
    return [upload["Key"] for upload in answer.get("Uploads", [])]


class HashingWriter:
    """A local file written the way an upload is: forward only (`tell()`, no `seek()`), with
    the size and SHA-256 that `MultipartWriter` reports. Tests write parts with it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file = self.path.open("wb")
        self._sha = hashlib.sha256()
        self._size = 0

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def write(self, data) -> int:
        self._sha.update(data)
        self._size += self._file.write(data)
        return len(data)

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


@contextmanager
def sql_statements():
    """Every SQL statement the app sends while the block runs, as SQLAlchemy's event hook
    sees it (no mock: the statements really run)."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
