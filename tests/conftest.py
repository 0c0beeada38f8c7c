"""Session-wide real servers (Redis, S3 over HTTP, SMTP), and a fresh app per test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL names one.
"""

from __future__ import annotations

import io
import os
from contextlib import contextmanager

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, text

from portal import create_app
from portal.extensions import db
from portal.models import Export, ExportStatus, Project, User
from portal.photos import ingest_photo
from portal.storage import client as s3
from tests import factories
from tests.helpers import (
    config_from_env,
    database_of_worker,
    environment,
    for_tests,
    fresh_database,
    made_up_names,
)
from tests.servers import FlakyS3, MailSink, MotoServer, RcloneS3, Receiver, RedisServer
from tests.workers import WorkerProcess


def pytest_configure(config):
    """Under pytest-xdist every worker process runs a session of its own: its own servers (on
    free ports, tests/servers.py) and, on PostgreSQL, its own database, named here before
    anything reads TEST_DATABASE_URL (the RQ workers a test starts inherit it)."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_DATABASE_URL")
    if worker and url:
        os.environ["TEST_DATABASE_URL"] = database_of_worker(url, worker)


@pytest.fixture(scope="session")
def redis_url():
    with RedisServer() as url:
        yield url


@pytest.fixture
def own_redis():
    """A redis-server of the test's own, which it may stop and start again on the same port
    (empty, as a crash without persistence leaves it); the session's Redis is never touched."""
    server = RedisServer()
    with server as url:
        server.url = url
        yield server


@pytest.fixture(scope="session")
def s3_endpoint():
    with RcloneS3() as endpoint:
        yield endpoint


@pytest.fixture
def flaky_s3(tmp_path):
    """An S3 endpoint of the test's own that it can take down; a module serves its tests
    from it by overriding `s3_endpoint` to return `flaky_s3.endpoint`."""
    storage = FlakyS3(tmp_path / "s3")
    yield storage
    storage.close()


@pytest.fixture(scope="session")
def moto_endpoint():
    with MotoServer() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def mail_sink():
    with MailSink() as sink:
        yield sink


@pytest.fixture
def sitepack_env(tmp_path, redis_url, s3_endpoint, mail_sink) -> dict[str, str]:
    """The environment a test's app and its worker processes share: one per test."""
    return environment(tmp_path, redis_url, s3_endpoint, mail_sink)


@pytest.fixture(scope="session")
def postgres_schema():
    """On PostgreSQL the schema is built once per session and emptied before each test
    (far cheaper than DROP/CREATE); SQLite gets a new file per test anyway."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = create_engine(url)
        db.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.metadata.create_all(engine)
        engine.dispose()
    return url


@pytest.fixture
def receiver():
    """An HTTP receiver on 127.0.0.1 that records what is posted to it (webhooks). A module
    that sends to it lists it in OUTBOUND_ALLOWLIST by overriding sitepack_env."""
    with Receiver() as server:
        yield server


@pytest.fixture
def app_overrides() -> dict:
    """Settings a test module gives its app on top of sitepack_env: override this fixture."""
    return {}


@pytest.fixture
def app(sitepack_env, postgres_schema, app_overrides):
    resolver = {"OUTBOUND_RESOLVER": made_up_names}
    app = create_app({**config_from_env(sitepack_env), **resolver, **app_overrides})
    for_tests(app)
    with app.app_context():
        fresh_database()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Two organisations: A with an admin and a member and a project, B with a member."""
    return factories.two_organisations()


@pytest.fixture
def make_export(world):
    """`make_export(status=..., **columns)`: an export of 2 fresh records in org A's project."""

    def build(
        requester: User | None = None,
        project: Project | None = None,
        status: ExportStatus = ExportStatus.PENDING,
        **columns,
    ) -> Export:
        requester = requester or world.member_a
        project = project or world.project_a
        return factories.export_in(ExportStatus(status), requester, project, records=2, **columns)

    return build


@pytest.fixture
def four(world):
    """factories.cached_and_photographed in org A's project: records for an estimate."""
    return factories.cached_and_photographed(world.project_a)


def jpeg(seed: int, size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (90 + seed % 100, 140, 180))
    ImageDraw.Draw(image).rectangle((40, 200, 600, 460), fill=(120, 110, 100))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def bucket(app):
    s3.ensure_bucket()
    return s3.bucket()


@pytest.fixture
def project_records(world, bucket):
    """Builds n records in org A's project; every `photo_every`-th one gets a photo."""

    def build(n: int, photo_every: int = 10):
        made = factories.records(world.project_a, n)
        for i, record in enumerate(made):
            if photo_every and i % photo_every == 0:
                ingest_photo(record, f"site-{i}.jpg", jpeg(i), caption=f"Photo {i}")
        db.session.commit()
        return made

    return build


@pytest.fixture
def worker(sitepack_env, tmp_path):
    """`with worker(**env_overrides) as w:` starts a real `python -m jobs.worker` process."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    base = {
        **sitepack_env,
        "EXPORT_WORK_DIR": str(workdir),
        "EXPORT_RENDER_PROCESSES": "2",
        "SWEEP_INTERVAL_SECONDS": "3600",
    }

    @contextmanager
    def start(*args: str, **overrides: str):
        with WorkerProcess({**base, **overrides}, tmp_path / "worker.log", *args) as proc:
            yield proc

    start.workdir = workdir
    return start


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright drives Debian's Chromium: a browser download is impossible here."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }
