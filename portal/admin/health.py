"""Queue health: what Redis says about the lanes and workers, and what the rows say is stuck.

Redis is only a cache of the work (the rows are the truth), so a Redis that cannot be
reached makes these figures unknown, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app, g
from redis.exceptions import RedisError
from rq import Worker, worker_registration
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import Select

from portal import queues
from portal.exports import attempts
from portal.extensions import db
from portal.models import Export


@dataclass
class Lane:
    name: str
    queued: int
    running: int
    failed: int


@dataclass
class WorkerState:
    name: str
    state: str
    queues: list[str]
    last_heartbeat: datetime | None
    current_job: str | None


@dataclass
class QueueHealth:
    """`reachable` False means Redis did not answer: lanes and workers are unknown."""

    reachable: bool
    lanes: list[Lane] = field(default_factory=list)
    workers: list[WorkerState] = field(default_factory=list)


def workers_alive() -> bool | None:
    """True when a worker is registered, False when none is, None when Redis is unreachable.

    Cheap enough for every export page: a worker's key expires when its heartbeats stop, so
    the first key that still exists settles it. Asked once per request at most.
    """
    if "workers_alive" not in g:
        g.workers_alive = _any_worker_key()
    return g.workers_alive


def _any_worker_key() -> bool | None:
    connection = queues.connection()
    try:
        keys = worker_registration.get_keys(connection=connection)
        return any(connection.exists(key) for key in keys)
    except RedisError as exc:
        current_app.logger.warning("Redis unreachable for worker health: %s", exc)
        return None


def queue_health() -> QueueHealth:
    try:
        return QueueHealth(
            True, lanes=[lane(name) for name in queues.WORKER_ORDER], workers=live_workers()
        )
    except RedisError as exc:
        current_app.logger.warning("Redis unreachable for queue health: %s", exc)
        return QueueHealth(False)


def lane(name: str) -> Lane:
    queue = queues.queue(name)
    return Lane(
        name=name,
        queued=queue.count,
        running=StartedJobRegistry(queue=queue).count,
        failed=FailedJobRegistry(queue=queue).count,
    )


def live_workers() -> list[WorkerState]:
    workers = Worker.all(connection=queues.connection())
    return sorted(
        (
            WorkerState(
                name=worker.name,
                state=state_name(worker.get_state()),
                queues=worker.queue_names(),
                last_heartbeat=naive_utc(worker.last_heartbeat),
                current_job=worker.get_current_job_id(),
            )
            for worker in workers
        ),
        key=lambda w: w.name,
    )


def state_name(state) -> str:
    """RQ hands back its WorkerStatus enum or the plain string it stored in Redis."""
    return str(getattr(state, "value", state))


def naive_utc(value: datetime | None) -> datetime | None:
    """The database and the page filters use naive UTC; RQ may hand back an aware time."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def stuck_exports(scope: Select) -> list[Export]:
    """Processing exports whose heartbeat is older than EXPORT_STALE_SECONDS: the sweeper
    will re-run them once, then fail them."""
    return list(
        db.session.scalars(scope.where(attempts.stalled()).order_by(Export.heartbeat_at).limit(100))
    )


@dataclass
class JobState:
    """What RQ still knows of an export's job; `note` explains when it knows nothing."""

    status: str | None = None
    queue: str | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    retries_left: int | None = None
    note: str = ""


def export_job(export: Export) -> JobState:
    try:
        job = Job.fetch(queues.job_id(export), connection=queues.connection())
        return JobState(
            status=state_name(job.get_status(refresh=False)),
            queue=job.origin,
            enqueued_at=naive_utc(job.enqueued_at),
            started_at=naive_utc(job.started_at),
            ended_at=naive_utc(job.ended_at),
            retries_left=job.retries_left,
        )
    except NoSuchJobError:
        return JobState(note="not in Redis (results expire; the database row is the truth)")
    except RedisError:
        return JobState(note="Redis could not be reached; the database row is the truth")
