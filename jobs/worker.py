"""`python -m jobs.worker`: an RQ worker that builds the app once and runs every job inside it.

Jobs get a fresh app context (and database session) per job, as flask-rq does; nothing is
built at import time. The worker also keeps the exports healthy, in a thread of its own:
every RECOVERY_INTERVAL_SECONDS one worker, whichever takes the Redis key first, runs the
recovery pass (lost and stalled exports, emails and webhook deliveries still owed) itself, and every
SWEEP_INTERVAL_SECONDS one enqueues a full sweep, so M workers do each once.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import pkgutil
import threading

import redis
from flask import Flask
from rq import Queue
from rq.job import Job
from sqlalchemy.orm import configure_mappers

import jobs
from jobs import sweep
from jobs.resilient import REDIS_DOWN, ResilientWorker
from portal import create_app, queues
from portal.extensions import db
from portal.queues import MAIL, WORKER_ORDER

SWEEP_KEY = "sitepack:sweep-tick"
RECOVERY_KEY = "sitepack:recovery-tick"
# Held while the upkeep thread uses the database. RQ forks a work-horse from the main thread
# for every job: a fork taken halfway through a SQLite write hands the horse SQLite's own
# record of that lock, and the horse's first write (a mail job's claim) then waits out the
# whole busy timeout. The same guard as the heartbeat's (jobs/heartbeat.py).
_UPKEEP = threading.Lock()
os.register_at_fork(
    before=_UPKEEP.acquire, after_in_parent=_UPKEEP.release, after_in_child=_UPKEEP.release
)


class AppJob(Job):
    app: Flask | None = None

    def perform(self):
        with self.app.app_context():
            # The work-horse is a fork: never reuse a connection its parent may hold (the
            # recovery thread uses both the database and the app's Redis client).
            db.engine.dispose(close=False)
            self.app.extensions.pop("redis", None)
            try:
                return super().perform()
            finally:
                db.session.remove()


def keep_healthy(app: Flask, stop: threading.Event) -> None:
    """The recovery pass and the sweep tick; any error (Redis or the database down) is
    logged and the next tick tries again, so this thread never dies."""
    connection = redis.Redis.from_url(app.config["REDIS_URL"])  # never shared with a fork
    queue = Queue(MAIL, connection=connection)
    recovery = app.config["RECOVERY_INTERVAL_SECONDS"]
    sweep_every = app.config["SWEEP_INTERVAL_SECONDS"]
    while not stop.wait(timeout=recovery):
        try:
            if connection.set(RECOVERY_KEY, "1", nx=True, ex=recovery):
                recover(app)
            if connection.set(SWEEP_KEY, "1", nx=True, ex=sweep_every) and not sweep_waiting(queue):
                queues.enqueue_sweep(queue)
        except REDIS_DOWN as exc:  # an outage, or Redis stopped before this worker: one line
            app.logger.warning("worker upkeep tick: Redis unreachable (%s); the next retries", exc)
        except Exception:  # noqa: BLE001 - see the docstring
            app.logger.warning("worker upkeep tick failed; the next one retries", exc_info=True)


def recover(app: Flask) -> None:
    with _UPKEEP, app.app_context():
        try:
            report = sweep.run_recovery()
        finally:
            db.session.remove()
    if any(report.values()):
        app.logger.info("recovery: %s", report)


def sweep_waiting(queue: Queue) -> bool:
    """Busy workers must not pile up sweeps: one queued or running is enough."""
    job = queue.fetch_job(queues.SWEEP_JOB_ID)
    return job is not None and job.get_status(refresh=False) in ("queued", "started")


def preload() -> None:
    """Every job's module, imported once before the first fork. A work-horse is a fork of
    this process: what it must import to find its job's function it imports again for every
    job (jobs.export brings WeasyPrint: 0.3 s of CPU and more of the wait before an idle
    worker's horse claims an export), and the render processes it forks inherit it all."""
    for module in pkgutil.iter_modules(jobs.__path__, f"{jobs.__name__}."):
        importlib.import_module(module.name)
    configure_mappers()  # else done afresh in every horse, at its first query (~17 ms)
    # What is loaded now stays: the garbage collector no longer walks it, so a horse's
    # collections do not touch (and the kernel then copy) every page it shares with this.
    gc.freeze()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", nargs="+", default=list(WORKER_ORDER))
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--worker-ttl", type=int, default=None)
    # RQ's cleanup of dead workers' jobs; the recovery pass does not depend on it.
    parser.add_argument("--maintenance-interval", type=int, default=600)
    # How often the worker tells Redis it is alive while a job runs: after a Redis restart,
    # how soon a busy worker is listed again.
    parser.add_argument("--job-monitoring-interval", type=int, default=5)
    parser.add_argument("--no-sweep", action="store_true", help="no recovery pass or sweeps")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    app = create_app()
    # INFO, as RQ's own lines: a job's notes (which chunk it rendered) go to the worker's log.
    app.logger.setLevel(logging.INFO)
    preload()
    AppJob.app = app
    stop = threading.Event()
    if not args.no_sweep and not args.burst:
        threading.Thread(target=keep_healthy, args=(app, stop), daemon=True).start()
    worker = ResilientWorker(
        args.queues,
        connection=redis.Redis.from_url(app.config["REDIS_URL"]),
        job_class=AppJob,
        worker_ttl=args.worker_ttl,
        maintenance_interval=args.maintenance_interval,
        job_monitoring_interval=args.job_monitoring_interval,
    )
    try:
        worker.work(burst=args.burst, with_scheduler=True)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
