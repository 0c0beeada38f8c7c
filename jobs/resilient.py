"""An RQ worker that rides out a Redis outage instead of quitting.

RQ 2.12 retries Redis only while it waits for a job. Any other Redis error (the heartbeat it
sends while a work-horse runs, its state, the suspension check) ends `Worker.work` with
"found an unhandled exception, quitting", leaving the running work-horse orphaned. What
those calls write is bookkeeping (the export rows are the truth), so here a lost Redis is
logged and skipped and the worker goes on watching its horse.

Redis may come back empty (restarted without persistence, or flushed), with this worker's
own keys gone and the admin pages saying no worker runs: every heartbeat writes them again,
and the scheduler process, which exits on a Redis error, is started again.

A worker whose scheduler never started is the other case: a SIGKILLed scheduler keeps its
lock for a minute, so a worker restarted within that minute finds it taken, and RQ tries
again only at its maintenance (every ten minutes here). Every heartbeat tries the lock, and
an idle worker beats every IDLE_WAKE_SECONDS, so a scheduler runs again within seconds of
the dead one's lock expiring. (Retries due meanwhile are queued by the recovery pass:
portal/exports/upkeep.py.)

A Redis that goes away while the worker stops (stopping `make run` signals every process at
once, Redis included) costs a line, not a traceback: the worker's and its scheduler's last
words to Redis are bookkeeping that expires by itself.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import redis
from rq import Worker, worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
# How long an idle worker waits for a job before it beats (and tries the scheduler lock);
# RQ's own is worker_ttl - 15 s, 405 s by default. One Redis round trip each time.
IDLE_WAKE_SECONDS = 15
# Between tries to reach a Redis that timed out while the worker waited for a job.
REDIS_RETRY_SECONDS = 1.0


# The scheduler process's name in `ps` and /proc/<pid>/comm (at most 15 characters): RQ forks
# it from the worker with the worker's command line, so nothing else tells the two apart.
SCHEDULER_PROCESS_NAME = "rq-scheduler"


class QuietScheduler(RQScheduler):
    """RQ's scheduler, whose last words on the way out (releasing its locks, recording its
    death) are dropped with a line when Redis went first: the locks expire by themselves.
    Its process is named, so an operator (and the rehearsal) can tell it from a work-horse."""

    def work(self):
        try:
            with open("/proc/self/comm", "w") as comm:
                comm.write(SCHEDULER_PROCESS_NAME)
        except OSError:  # not Linux: the name is only a convenience
            pass
        super().work()

    def stop(self):
        try:
            super().stop()
        except REDIS_DOWN as exc:
            self.log.info(
                "Scheduler stopped without Redis (%s); its locks expire by themselves", exc
            )


class ResilientWorker(Worker):
    # RQ backs off up to 60 s between attempts to reach Redis; be back within seconds.
    max_connection_wait_time = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.redis_lost = False
        self.in_burst = False

    def work(self, burst: bool = False, **kwargs) -> bool:
        """A burst worker queues the due scheduled jobs once, at its start (RQ does): it runs
        no scheduler process, so none is restarted for it either."""
        self.in_burst = burst
        return super().work(burst=burst, **kwargs)

    def _start_scheduler(
        self, burst=False, logging_level="INFO", date_format=None, log_format=None
    ):
        """RQ's, with QuietScheduler: RQ names its scheduler class inside this method. Copied
        from rq 2.12.0 (requirements.txt pins it); tests/jobs/test_resilient_worker.py fails
        when RQ's own changes, so that this copy is compared with it again."""
        self.scheduler = QuietScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format or DEFAULT_LOGGING_DATE_FORMAT,
            log_format=log_format or DEFAULT_LOGGING_FORMAT,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    def teardown(self):
        try:
            super().teardown()
        except REDIS_DOWN as exc:
            self.log.info("Worker %s: stopped without Redis (%s)", self.name, exc)

    @contextmanager
    def redis_optional(self):
        try:
            yield
        except REDIS_DOWN as exc:
            self.redis_lost = True
            self.log.warning("Worker %s: Redis unreachable (%s); carrying on", self.name, exc)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        """RQ retries a refused connection while it waits for a job, but quits on a timeout,
        which is what a partition gives (packets dropped, nothing refused): the rehearsal's
        worker-fast, idle on a host cut off for a minute, quit and never came back. A
        timeout is waited out here as RQ waits out a refusal."""
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except redis.TimeoutError as exc:
                self.redis_lost = True
                self.log.warning("Worker %s: Redis timed out (%s); waiting for it", self.name, exc)
                time.sleep(REDIS_RETRY_SECONDS)

    @property
    def dequeue_timeout(self) -> int:
        return min(super().dequeue_timeout, IDLE_WAKE_SECONDS)

    def back_online(self) -> None:
        """Called after a heartbeat reached Redis. The scheduler is checked every time, not
        only after this process saw Redis fail: an outage shorter than a heartbeat's interval
        can kill the scheduler process while this one never noticed."""
        if self.redis_lost:
            self.redis_lost = False
            self.log.info("Worker %s: Redis is back", self.name)
        self.restart_scheduler()

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            self.reregister(pipeline)
            return
        with self.redis_optional(), self.connection.pipeline() as own:
            super().heartbeat(timeout, own)
            self.reregister(own)
            own.execute()
            self.back_online()

    def reregister(self, pipeline) -> None:
        """Write again what `register_birth` wrote; the same values, so harmless when present."""
        pipeline.hset(self.key, mapping={**self.serialize(), "state": self.get_state()})
        worker_registration.register(self, pipeline)

    def restart_scheduler(self) -> None:
        """What RQ's maintenance does, without waiting up to its interval for it: start the
        scheduler if its process died or never started (its lock was taken). Never once a
        shutdown was asked for: RQ stops the scheduler first, then waits for the horse while
        heartbeats go on, and a scheduler started then would outlive this worker."""
        if self.scheduler is None or self.in_burst:
            return
        if self._stop_requested or self._shutdown_requested_date is not None:
            return
        process = self.scheduler._process
        if process is None or not process.is_alive():
            self.scheduler.acquire_locks(auto_start=True)

    def maintain_heartbeats(self, job):
        with self.redis_optional():
            super().maintain_heartbeats(job)
            self.back_online()

    def set_current_job_working_time(self, current_job_working_time, pipeline=None):
        with self.redis_optional():
            super().set_current_job_working_time(current_job_working_time, pipeline)

    def set_state(self, state, pipeline=None):
        with self.redis_optional():
            super().set_state(state, pipeline)

    def check_for_suspension(self, burst):
        with self.redis_optional():
            super().check_for_suspension(burst)

    def run_maintenance_tasks(self):
        with self.redis_optional():
            super().run_maintenance_tasks()

    def monitor_work_horse(self, job, queue):
        """Every Redis call while the horse runs is optional, so an error that gets here came
        after it exited: its job's outcome cannot be written to Redis; its row holds it."""
        with self.redis_optional():
            super().monitor_work_horse(job, queue)
