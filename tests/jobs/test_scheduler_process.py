"""A real worker's RQ scheduler runs in a process named `rq-scheduler`: RQ forks it with the
worker's own command line, and the rehearsal's partition check (and an operator's `ps`) must
tell it, which rightly outlives any export, from a work-horse, which must not."""

from __future__ import annotations

import contextlib
from pathlib import Path

from jobs.resilient import SCHEDULER_PROCESS_NAME
from tests.polling import wait_until
from tests.workers import descendants


def names_under(pid: int) -> list[str]:
    names = []
    for child in descendants(pid):
        with contextlib.suppress(OSError):  # gone meanwhile
            names.append(Path(f"/proc/{child}/comm").read_text().strip())
    return names


def test_the_scheduler_process_of_a_real_worker_is_named(worker, own_redis):
    with worker(REDIS_URL=own_redis.url) as running:
        wait_until(lambda: SCHEDULER_PROCESS_NAME in names_under(running.proc.pid), timeout=60)
        assert names_under(running.proc.pid).count(SCHEDULER_PROCESS_NAME) == 1
