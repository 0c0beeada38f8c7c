"""Redis is only a cache of the work: with it down, the admin and export pages still answer,
and what needs the queue answers 503 with Retry-After, never a 500 or a half-written export."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
from rq import Queue
from sqlalchemy import update

from portal import create_app
from portal.exports import service, upkeep
from portal.extensions import db
from portal.models import Export, ExportItem, ExportStatus, IssuedPdf, User, utcnow
from portal.renders import codes
from portal.schedules import service as schedules
from portal.schedules.service import ScheduleIn
from tests import factories
from tests.factories import login
from tests.helpers import (
    config_from_env,
    confirm_and_post,
    csrf,
    for_tests,
    fresh_database,
    reload,
    request_export,
)
from tests.servers import free_port

DELAYED = "Exports are delayed"
PAUSED = "export queue can&#39;t be reached right now"


@pytest.fixture
def sitepack_env(sitepack_env):
    return {**sitepack_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


def test_redis_down_leaves_admin_pages_working_with_health_unknown(client, world):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, records=1)
    login(client, "admin@acme.test")
    queues_page = client.get("/admin/queues")
    assert queues_page.status_code == 200
    assert "Redis could not be reached" in queues_page.get_data(as_text=True)
    detail = client.get(f"/admin/exports/{export.public_id}")
    assert detail.status_code == 200
    assert "Redis could not be reached" in detail.get_data(as_text=True)
    user_page = client.get(f"/exports/{export.public_id}")
    assert user_page.status_code == 200 and DELAYED not in user_page.get_data(as_text=True)


ADMINS_ONLY = ("/admin", "/settings/organisation")


def expected_status(url: str) -> int | None:
    """What the GET routes that are not pages answer here, by the end of their URL: no logo
    was uploaded, the record's PDF is not rendered, the API's GET would queue it, and the
    Verify page's check wants a sha256 in its query, which a walk of paths does not send."""
    if url == "/verify/check":
        return 400
    if url.endswith("/logo.png") or (url.endswith("/pdf") and not url.startswith("/api/")):
        return 404
    return 503 if url.endswith("/pdf") else None


def issued_code(record) -> str:
    """The verify code of a PDF Sitepack made of `record`, as its render would remember it."""
    code = codes.code_for(record.organization_id, record.id, record.version)
    db.session.add(
        IssuedPdf(sha256="c" * 64, organization_id=record.organization_id, record_id=record.id,
                  reference=record.reference, version=record.version, code=code)
    )  # fmt: skip
    db.session.commit()
    return code


def get_urls(app, values: dict[str, str]) -> list[str]:
    """Every GET route of the app, filled with real ids: a route added later is walked too."""
    urls = []
    for rule in app.url_map.iter_rules():
        # /metrics wants a scraper's token, not a session (tests/admin/test_metrics.py).
        if "GET" in rule.methods and rule.endpoint not in ("static", "metrics.metrics"):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<{argument}>", values[argument])
            urls.append(path)
    return urls


@pytest.mark.parametrize("who", ["member@acme.test", "admin@acme.test"])
def test_redis_down_leaves_every_page_that_only_reads_working(app, client, world, who):
    record = factories.records(world.project_a, 1)[0]
    photo = factories.attachment(record)
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        parts=["exports/x.zip"],
        expires_at=utcnow() + timedelta(days=1),
    )
    endpoint = factories.webhook_endpoint(world.admin_a)
    _, token = factories.share_of(export, "rep@client.test")
    asked = ScheduleIn.checked("Weekly", {}, "FREQ=WEEKLY", "Europe/London", False)
    schedule = schedules.add(world.member_a, world.project_a, asked)
    values = {
        "token": token,
        "code": issued_code(record),
        "schedule_id": schedule.public_id,
        "endpoint_id": endpoint.public_id,
        "project_id": world.project_a.public_id,
        "record_id": record.public_id,
        "external_ref": record.reference,
        "attachment_id": photo.public_id,
        "public_id": export.public_id,
        "name": "revoke",
    }
    login(client, who)
    key = factories.bearer(factories.api_key(User.query.filter_by(email=who).one()))
    urls = get_urls(app, values)
    assert len(urls) > 15
    for url in urls:
        status = client.get(url, headers=key if url.startswith("/api/v1/") else {}).status_code
        if expected_status(url):
            assert status == expected_status(url), (url, status)
            continue
        assert status < 500, (url, status)
        if who == "admin@acme.test" or not url.startswith(ADMINS_ONLY):
            assert status in (200, 302, 303), (url, status)


def test_export_request_with_redis_down_is_a_clear_503_and_writes_nothing(client, world):
    records = factories.records(world.project_a, 2)
    db.session.commit()
    login(client, "member@acme.test")
    response = request_export(client, world.project_a, records)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert PAUSED in response.get_data(as_text=True)
    assert Export.query.count() == 0 and ExportItem.query.count() == 0


def test_retry_with_redis_down_is_503_and_the_export_waits_for_the_sweeper(client, world):
    export = factories.export_in(ExportStatus.FAILED, world.member_a, world.project_a, error="boom")
    login(client, "member@acme.test")
    token = csrf(client, f"/exports/{export.public_id}")
    response = client.post(f"/exports/{export.public_id}/retry", data={"csrf_token": token})
    assert response.status_code == 503 and PAUSED in response.get_data(as_text=True)
    assert reload(export).status == "pending"


def test_reorder_and_cancel_with_redis_down_never_500(client, world):
    expired = factories.export_in(ExportStatus.EXPIRED, world.member_a, world.project_a)
    live = factories.export_in(
        ExportStatus.PROCESSING, world.member_a, world.project_a, fingerprint="g"
    )
    login(client, "member@acme.test")
    token = csrf(client, f"/exports/{live.public_id}")
    reorder = client.post(f"/exports/{expired.public_id}/reorder", data={"csrf_token": token})
    assert reorder.status_code == 503 and Export.query.count() == 2
    cancel = client.post(f"/exports/{live.public_id}/cancel", data={"csrf_token": token})
    assert cancel.status_code == 303 and reload(live).status == "cancelled"


def test_admin_retry_with_redis_down_is_503_not_500(client, world):
    export = factories.export_in(ExportStatus.FAILED, world.member_a, world.project_a, error="boom")
    login(client, "admin@acme.test")
    response = confirm_and_post(client, export, "retry")
    assert response.status_code == 503 and PAUSED in response.get_data(as_text=True)


def test_login_with_redis_down_still_works(client, world):
    assert login(client, "member@acme.test").status_code == 302


@pytest.fixture
def lock_only_redis(redis_url):
    """A Redis user that may take and release the request lock but not enqueue: Redis failing
    after the export row is committed, the one moment a dead Redis cannot show."""
    admin = redis.Redis.from_url(redis_url)
    name = f"lock-only-{uuid.uuid4().hex[:8]}"
    admin.acl_setuser(
        name,
        enabled=True,
        nopass=True,
        keys=["*"],
        categories=["-@all"],
        commands=["+ping", "+set", "+get", "+del", "+eval", "+evalsha", "+script"],
    )
    parts = urlsplit(redis_url)
    yield f"redis://{name}:unused@{parts.netloc}{parts.path}"
    admin.acl_deluser(name)


def test_an_export_saved_before_the_enqueue_failed_stays_pending_for_the_sweeper(
    sitepack_env, redis_url, lock_only_redis, postgres_schema
):
    app = create_app(config_from_env({**sitepack_env, "REDIS_URL": lock_only_redis}))
    for_tests(app)
    with app.app_context():
        fresh_database()
        world = factories.two_organisations()
        records = factories.records(world.project_a, 2)
        db.session.commit()
        client = app.test_client()
        login(client, "member@acme.test")
        response = request_export(client, world.project_a, records)
        export = Export.query.one()
        assert response.status_code == 303 and export.status == "pending"
        assert response.headers["Location"].endswith(f"/exports/{export.public_id}")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Your export is saved, but the export queue can&#39;t be reached" in page
        db.session.remove()
        db.engine.dispose()
    assert Queue("exports-small", connection=redis.Redis.from_url(redis_url)).job_ids == []
    sweeper = create_app(config_from_env({**sitepack_env, "REDIS_URL": redis_url}))
    with sweeper.app_context():
        earlier = utcnow() - upkeep.LOST_PENDING_GRACE - timedelta(seconds=1)
        db.session.execute(update(Export).values(created_at=earlier))
        db.session.commit()
        assert upkeep.recover_lost_pending() == 1
        assert service.queues.queue("exports-small").job_ids == [f"export-{export.public_id}"]
        db.session.remove()
        db.engine.dispose()
