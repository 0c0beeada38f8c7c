"""ResilientWorker's scheduler restart, as one function: it must not start a scheduler once a
shutdown was asked for (RQ stops the scheduler first and heartbeats go on while the horse
finishes; one started then would outlive the worker if it is killed before its teardown)."""

from __future__ import annotations

from types import SimpleNamespace

import redis

from jobs.resilient import ResilientWorker
from portal.models import utcnow


class Scheduler:
    """Stands in for RQ's scheduler: a dead process, and a record of restarts."""

    def __init__(self):
        self._process = SimpleNamespace(is_alive=lambda: False)
        self.restarts = 0

    def acquire_locks(self, auto_start=False):
        self.restarts += int(auto_start)


def worker(redis_url) -> ResilientWorker:
    built = ResilientWorker(["mail"], connection=redis.Redis.from_url(redis_url))
    built.scheduler = Scheduler()
    return built


def test_a_dead_scheduler_is_started_again(redis_url):
    running = worker(redis_url)
    running.restart_scheduler()
    assert running.scheduler.restarts == 1


def test_no_scheduler_is_started_once_a_shutdown_was_asked_for(redis_url):
    stopping = worker(redis_url)
    stopping._shutdown_requested_date = utcnow()
    stopping.restart_scheduler()
    assert stopping.scheduler.restarts == 0
