"""Redis stops while an export is being built and comes back empty: nothing is lost.

Each test gets a redis-server of its own, stopped and started again on the same port (with
no persistence, as a crash would leave it), so the session's Redis is never touched.
"""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
import redis
from rq import Queue
from rq.registry import StartedJobRegistry

from portal import queues
from tests.factories import login, member_exports
from tests.helpers import reload
from tests.polling import wait_until
from tests.servers import wait_for_mail


@pytest.fixture
def sitepack_env(sitepack_env, own_redis):
    return {**sitepack_env, "REDIS_URL": own_redis.url}


def mail_lane_idle(connection) -> bool:
    lane = Queue(queues.MAIL, connection=connection)
    return lane.count == 0 and StartedJobRegistry(queue=lane).count == 0


def test_redis_down_as_an_export_finishes_keeps_the_zip_and_sends_one_ready_email(
    app, client, world, project_records, worker, mail_sink, own_redis
):
    connection = redis.Redis.from_url(own_redis.url)
    records = project_records(60, photo_every=6)
    export = member_exports(client, world, records)
    with worker() as proc:
        wait_until(lambda: reload(export.id).done >= 3, timeout=60)
        own_redis.stop()
        assert reload(export.id).status == "processing"  # else the test proves nothing
        export = wait_until(lambda: (e := reload(export.id)).status != "processing" and e, 120)
        own_redis.start()
        assert export.status == "completed", export.error

        download = client.get(f"/exports/{export.public_id}/download")
        assert download.status_code == 302
        data = urllib.request.urlopen(download.headers["Location"]).read()
        assert hashlib.sha256(data).hexdigest() == export.parts[0].sha256

        [mail] = wait_for_mail(mail_sink, 1, timeout=60)
        assert "ready" in mail["Subject"].lower()
        wait_until(lambda: reload(export.id).mail_due is None and mail_lane_idle(connection), 30)
        assert len(mail_sink.messages) == 1

        assert proc.proc.poll() is None, proc.output()
        assert "unhandled exception, quitting" not in proc.log_path.read_text()
        wait_until(proc.listed, timeout=30)
        wait_until(lambda: connection.exists(f"rq:scheduler-lock:{queues.MAIL}"), timeout=30)
        admin = app.test_client()
        login(admin, "admin@acme.test")
        page = admin.get("/admin/queues").get_data(as_text=True)
        assert "Workers alive: 1" in page and "No export worker is running" not in page


def test_a_busy_worker_is_listed_again_soon_after_redis_restarts(
    app, client, world, project_records, worker, mail_sink, own_redis
):
    # Long enough (about 20 s of rendering) that the worker is still busy once listed again.
    export = member_exports(client, world, project_records(300, photo_every=0))
    with worker() as proc:
        wait_until(lambda: reload(export.id).done >= 3, timeout=60)
        own_redis.stop()
        own_redis.start()
        wait_until(proc.listed, timeout=15)
        admin = app.test_client()
        login(admin, "admin@acme.test")
        page = admin.get("/admin/queues").get_data(as_text=True)
        assert reload(export.id).status == "processing"  # listed while it works
        assert "Workers alive: 1" in page and "No export worker is running" not in page
        export = wait_until(lambda: (e := reload(export.id)).status != "processing" and e, 180)
        assert export.status == "completed", export.error
        wait_for_mail(mail_sink, 1)
