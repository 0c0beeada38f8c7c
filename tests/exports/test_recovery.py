"""A lost export resumes within 30 s, on production settings, whatever killed it.

Each test kills real processes (the work-horse, a whole worker "host", Redis's data) and
prints how long the export took to resume (a new attempt claimed it) and to complete.
Run with `-s` to see the figures.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
import redis
from rq import Queue
from rq.suspension import suspend

from portal.models import Export, utcnow
from portal.storage import client as s3
from tests.factories import member_exports
from tests.helpers import reload
from tests.polling import wait_until
from tests.servers import wait_for_mail
from tests.workers import descendants, session_members

RESUME_WITHIN = 30
RECORDS = 100


@pytest.fixture
def s3_endpoint(flaky_s3):
    """Each test's own endpoint, which one test takes down for a while."""
    return flaky_s3.endpoint


@pytest.fixture
def sitepack_env(sitepack_env):
    """Production's retry intervals (the config's default); every other recovery setting is
    left at its default too."""
    return {k: v for k, v in sitepack_env.items() if k != "EXPORT_RETRY_INTERVALS"}


def resumed_after(export_id: int, lost_attempt: int, since: float) -> float:
    wait_until(lambda: reload(export_id).attempt > lost_attempt, timeout=RESUME_WITHIN + 30)
    return time.monotonic() - since


def finished(export_id: int) -> Export:
    done = ("completed", "failed")
    return wait_until(lambda: (e := reload(export_id)).status in done and e, timeout=240)


def report(case: str, completed: float, resumed: float | None = None) -> None:
    start = f"resumed after {resumed:.1f} s, " if resumed is not None else ""
    print(f"\n[recovery] {case}: {start}completed after {completed:.1f} s")


def assert_completed_once(export: Export, mail_sink, workdir) -> None:
    assert export.status == "completed", export.error
    wait_for_mail(mail_sink, 1)
    assert len(mail_sink.messages) == 1
    keys = s3.list_keys(f"exports/{export.organization_id}/{export.public_id}/")
    assert keys == export.object_keys  # only the winning attempt's zip
    assert list(workdir.iterdir()) == []


def test_a_killed_work_horse_resumes_within_30_seconds(
    client, world, project_records, worker, mail_sink
):
    export = member_exports(client, world, project_records(RECORDS, photo_every=4))
    with worker() as proc:
        wait_until(lambda: reload(export.id).done >= 5, timeout=60)
        lost = reload(export.id).attempt
        os.kill(wait_until(proc.horse_pid, timeout=10), signal.SIGKILL)
        since = time.monotonic()
        resumed = resumed_after(export.id, lost, since)
        export = finished(export.id)
        report("work-horse SIGKILL", time.monotonic() - since, resumed)
        assert_completed_once(export, mail_sink, worker.workdir)
    assert resumed < RESUME_WITHIN


def test_a_dead_host_s_export_resumes_on_the_other_worker_within_30_seconds(
    client, world, project_records, worker, mail_sink
):
    export = member_exports(client, world, project_records(RECORDS, photo_every=4))
    with worker() as doomed:
        wait_until(doomed.horse_pid, timeout=60)
        with worker() as survivor:
            wait_until(lambda: reload(export.id).done >= 5, timeout=60)
            assert reload(export.id).status == "processing"
            lost = reload(export.id).attempt
            host = {doomed.proc.pid} | descendants(doomed.proc.pid)
            for pid in host:  # worker, work-horse, render pool and scheduler, as a host dies
                os.kill(pid, signal.SIGKILL)
            since = time.monotonic()
            resumed = resumed_after(export.id, lost, since)
            export = finished(export.id)
            report("host death, second worker alive", time.monotonic() - since, resumed)
            assert_completed_once(export, mail_sink, worker.workdir)
            assert survivor.proc.poll() is None
    assert resumed < RESUME_WITHIN


def test_exports_pending_when_redis_is_flushed_resume_within_30_seconds(
    app, client, world, project_records, worker, mail_sink
):
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    suspend(connection)  # the worker takes no job until FLUSHALL clears this too
    with worker():
        export = member_exports(client, world, project_records(20, photo_every=0))
        lane = Queue(export.queue_name, connection=connection)
        assert lane.count == 1 and reload(export.id).status == "pending"
        connection.flushall()
        since = time.monotonic()
        resumed = resumed_after(export.id, 0, since)
        export = finished(export.id)
        report("FLUSHALL while pending", time.monotonic() - since, resumed)
        assert_completed_once(export, mail_sink, worker.workdir)
    assert resumed < RESUME_WITHIN


def test_an_export_processing_when_redis_is_flushed_completes_and_its_worker_is_listed(
    app, client, world, project_records, worker, mail_sink
):
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    export = member_exports(client, world, project_records(RECORDS, photo_every=4))
    with worker() as proc:
        wait_until(lambda: reload(export.id).done >= 5, timeout=60)
        connection.flushall()
        since = time.monotonic()
        export = finished(export.id)
        report("FLUSHALL while processing", time.monotonic() - since)
        assert_completed_once(export, mail_sink, worker.workdir)
        assert export.attempt == 1  # the running attempt finished: nothing was run twice
        wait_until(proc.listed, timeout=15)


def test_a_retry_due_after_every_worker_was_killed_runs_within_30_seconds_of_its_time(
    client, world, project_records, worker, mail_sink, flaky_s3
):
    """A SIGKILLed scheduler keeps its lock for a minute: the restarted worker cannot start
    one, yet the retry that storage outage caused must run when it is due, not at RQ's next
    maintenance, and the page must never give a time that has passed as the next try."""
    export = member_exports(client, world, project_records(RECORDS, photo_every=4))
    with worker() as doomed:
        wait_until(lambda: reload(export.id).done >= 5, timeout=60)
        for pid in session_members(doomed.proc.pid):  # worker, horse, scheduler, render pool
            os.kill(pid, signal.SIGKILL)
    flaky_s3.down()
    with worker():  # restarted at once, while the dead scheduler's lock holds
        waiting = wait_until(lambda: (e := reload(export.id)).next_try_at and e, timeout=90)
        due, failed_attempt = waiting.next_try_at, waiting.attempt
        flaky_s3.up()
        notes: list[str] = []

        def retried():
            """When the next attempt claimed the export, once one has; the page meanwhile."""
            notes.extend(RETRY_NOTE.findall(status_of(client, export)))
            row = reload(export.id)
            return row.started_at if row.attempt > failed_attempt else None

        started = wait_until(retried, timeout=(due - utcnow()).total_seconds() + 60, interval=1)
        export = finished(export.id)
        late = (started - due).total_seconds()
        print(f"\n[recovery] every worker killed, storage down once: retry ran {late:.1f} s late")
        assert_completed_once(export, mail_sink, worker.workdir)
    assert late < RESUME_WITHIN
    assert notes and not [note for note in notes if "ago" in note], notes


RETRY_NOTE = re.compile(r"Retrying after [^<]*")


def status_of(client, export: Export) -> str:
    page = client.get(f"/exports/{export.public_id}/status", headers={"HX-Request": "true"})
    return page.get_data(as_text=True)
