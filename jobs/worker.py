"""`python -m jobs.worker`: an RQ worker that builds the app once and runs every job inside it.

Jobs get a fresh app context (and database session) per job, as flask-rq does; nothing is
built at import time. The worker also ticks the sweeper: every SWEEP_INTERVAL_SECONDS one
worker — whichever takes the Redis key first — enqueues a sweep, so M workers sweep once.
"""

from __future__ import annotations

import argparse
import threading

import redis
from flask import Flask
from rq import Queue, Worker
from rq.job import Job

from portal import create_app
from portal.exports.queues import MAIL, WORKER_ORDER
from portal.extensions import db

SWEEP_KEY = "sitepack:sweep-tick"
SWEEP_JOB_ID = "sitepack-sweep"


class AppJob(Job):
    app: Flask | None = None

    def perform(self):
        with self.app.app_context():
            # The work-horse is a fork: never reuse a connection its parent may hold.
            db.engine.dispose(close=False)
            try:
                return super().perform()
            finally:
                db.session.remove()


def tick_sweeper(redis_url: str, interval: int, stop: threading.Event) -> None:
    """Enqueue a sweep at most once per interval across all workers (SET NX EX in Redis)."""
    connection = redis.Redis.from_url(redis_url)  # its own pool: never shared with a fork
    queue = Queue(MAIL, connection=connection)
    while not stop.wait(timeout=min(interval, 5)):
        if connection.set(SWEEP_KEY, "1", nx=True, ex=interval) and not sweep_waiting(queue):
            queue.enqueue(
                "jobs.sweep.run_sweep", job_id=SWEEP_JOB_ID, result_ttl=600, job_timeout=600
            )


def sweep_waiting(queue: Queue) -> bool:
    """Busy workers must not pile up sweeps: one queued or running is enough."""
    job = queue.fetch_job(SWEEP_JOB_ID)
    return job is not None and job.get_status(refresh=False) in ("queued", "started")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", nargs="+", default=list(WORKER_ORDER))
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--worker-ttl", type=int, default=None)
    parser.add_argument("--maintenance-interval", type=int, default=600)
    parser.add_argument("--job-monitoring-interval", type=int, default=30)
    parser.add_argument("--no-sweep", action="store_true", help="don't tick the sweeper")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    app = create_app()
    AppJob.app = app
    redis_url = app.config["REDIS_URL"]
    stop = threading.Event()
    if not args.no_sweep and not args.burst:
        interval = app.config["SWEEP_INTERVAL_SECONDS"]
        threading.Thread(target=tick_sweeper, args=(redis_url, interval, stop), daemon=True).start()
    worker = Worker(
        args.queues,
        connection=redis.Redis.from_url(redis_url),
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
