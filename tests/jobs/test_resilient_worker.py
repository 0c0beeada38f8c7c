"""ResilientWorker's scheduler restart, as one function: it starts a scheduler whose process
died or never started (a killed one's lock was still held), and an idle worker tries every
few seconds; it must not start one once a shutdown was asked for (RQ stops the scheduler
first and heartbeats go on while the horse finishes; one started then would outlive the
worker if it is killed before its teardown), nor for a burst worker."""

from __future__ import annotations

import hashlib
import inspect
from types import SimpleNamespace

import redis
from rq import Worker

from jobs.resilient import IDLE_WAKE_SECONDS, ResilientWorker
from portal.models import utcnow


class Scheduler:
    """Stands in for RQ's scheduler: a dead process, and a record of restarts."""

    def __init__(self, started: bool = True):
        self._process = SimpleNamespace(is_alive=lambda: False) if started else None
        self.restarts = 0

    def acquire_locks(self, auto_start=False):
        self.restarts += int(auto_start)


def worker(redis_url, started: bool = True) -> ResilientWorker:
    built = ResilientWorker(["mail"], connection=redis.Redis.from_url(redis_url))
    built.scheduler = Scheduler(started)
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


def test_a_scheduler_that_never_started_because_its_lock_was_held_is_started(redis_url):
    late = worker(redis_url, started=False)
    late.restart_scheduler()
    assert late.scheduler.restarts == 1


def test_an_idle_worker_tries_the_scheduler_lock_every_few_seconds_not_minutes(redis_url):
    assert worker(redis_url).dequeue_timeout <= IDLE_WAKE_SECONDS < 60


def test_a_burst_worker_starts_no_scheduler_process(redis_url):
    burst = worker(redis_url, started=False)
    burst.in_burst = True
    burst.restart_scheduler()
    assert burst.scheduler.restarts == 0


# sha256 of rq 2.12.0's `_start_scheduler` source, which ResilientWorker's copies.
RQ_START_SCHEDULER = "49c229109608aa31132b93b4bccd31d2ea0605e473c0f205f0d61d3bf6cdb7b9"


def test_rq_s_start_scheduler_is_still_the_one_resilient_worker_copied():
    """On an RQ upgrade: compare jobs/resilient.py's copy with RQ's new method, then update
    the digest and the version its docstring names."""
    source = inspect.getsource(Worker._start_scheduler)
    assert hashlib.sha256(source.encode()).hexdigest() == RQ_START_SCHEDULER


def test_an_idle_worker_waits_out_a_redis_timeout_instead_of_quitting(redis_url, monkeypatch):
    """A partition drops packets: Redis times out rather than refusing. RQ quits on that while
    idle (found by the rehearsal: a cut-off worker-fast never came back)."""
    answers = iter([redis.TimeoutError("Timeout reading from socket"), None])

    def dequeue(self, timeout, max_idle_time=None):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(Worker, "dequeue_job_and_maintain_ttl", dequeue)
    monkeypatch.setattr("jobs.resilient.REDIS_RETRY_SECONDS", 0)
    idle = worker(redis_url)
    assert idle.dequeue_job_and_maintain_ttl(1) is None
    assert idle.redis_lost
