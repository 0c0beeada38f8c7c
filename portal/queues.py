"""The RQ lanes. Small exports and mail never wait behind a 10,000-record export, and
nothing an export needs ever waits behind the pre-rendering of records nobody asked for."""

from __future__ import annotations

import random
from datetime import timedelta

import redis
from flask import current_app
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from portal.models import Export

MAIL = "mail"
SMALL = "exports-small"
LARGE = "exports-large"
# Records rendered into the cache ahead of any export (a changed record, `renders warm`).
RENDERS = "renders"
# Webhook deliveries: a slow receiver (10 s at most, see outbound.guard.Policy) holds up
# only this lane, never mail or an export waiting in its own.
WEBHOOKS = "webhooks"
# Workers take queues in this order, so a short job is always picked before a long one.
WORKER_ORDER = (MAIL, SMALL, LARGE, WEBHOOKS, RENDERS)
# Records per pre-render job: one render pool's set-up is paid for this many PDFs.
PRERENDER_BATCH = 50
# Each export's retry intervals are stretched or shrunk by up to this fraction, at random, so
# the exports one storage outage failed together do not all come back in the same second.
RETRY_JITTER = 0.2


def connection() -> redis.Redis:
    """One Redis client per app; redis-py pools connections and is thread-safe."""
    ext = current_app.extensions
    if "redis" not in ext:
        ext["redis"] = redis.Redis.from_url(current_app.config["REDIS_URL"])
    return ext["redis"]


def request_lock(user_id: int):
    """Serialises one person's export requests across web processes, so the reuse check and
    the active-export limit see each other's rows."""
    return connection().lock(f"sitepack:export-request:{user_id}", timeout=30)


def queue(name: str) -> Queue:
    return Queue(name, connection=connection())


def lane_for(total: int) -> str:
    return SMALL if total <= current_app.config["EXPORT_SMALL_LANE_MAX"] else LARGE


def export_retry() -> Retry | None:
    """Transient failures (storage, network, database) are retried after the intervals of
    EXPORT_RETRY_INTERVALS, the backoff table, each jittered by up to RETRY_JITTER."""
    table = current_app.config["EXPORT_RETRY_INTERVALS"]
    spread = [max(1, round(s * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER))) for s in table]
    return Retry(max=len(spread), interval=spread) if spread else None


def mail_retry() -> Retry:
    return Retry(max=6, interval=[10, 30, 60, 300, 900, 3600])


def job_id(export: Export) -> str:
    """The export's RQ job id, one per export. RQ runs a job enqueued twice twice; the
    attempt's claim (attempts.claim) is what makes the second run do nothing."""
    return f"export-{export.public_id}"


def enqueue_export(export: Export) -> None:
    queue(export.queue_name).enqueue(
        "jobs.export.run_export",
        export.id,
        job_id=job_id(export),
        retry=export_retry(),
        job_timeout=current_app.config["EXPORT_JOB_TIMEOUT"],
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def release_overdue_retry(export: Export) -> bool:
    """Queue now the export's job if it still waits in RQ's scheduled registry (for a retry
    whose time the caller knows has passed: no scheduler ran to move it); False when it is
    not there. Taken out of the registry first, so that of this and a scheduler moving it at
    the same moment one alone queues it, nearly always; a spare run claims nothing anyway."""
    lane = queue(export.queue_name)
    if not lane.scheduled_job_registry.remove(job_id(export)):
        return False
    try:
        job = Job.fetch(job_id(export), connection=lane.connection)
    except NoSuchJobError:
        return False  # gone with Redis: the recovery pass enqueues its row again
    lane.enqueue_job(job)
    return True


def enqueue_chunk_helpers(export: Export, attempt: int, count: int) -> None:
    """`count` helpers for an attempt's chunks, on the large lane so that any worker on any
    host may take one; each claims whichever chunk is next (jobs/fanout.py)."""
    lane = queue(LARGE)
    for number in range(1, count + 1):
        lane.enqueue(
            "jobs.fanout.help_export",
            export.id,
            attempt,
            job_id=f"{job_id(export)}-{attempt}-helper-{number}",
            job_timeout=current_app.config["EXPORT_JOB_TIMEOUT"],
            result_ttl=600,
            failure_ttl=24 * 3600,
        )


def enqueue_prerender(record_ids: list[int]) -> int:
    """Renders these records into the cache on the lowest lane; returns the jobs enqueued."""
    lane = queue(RENDERS)
    batches = range(0, len(record_ids), PRERENDER_BATCH)
    for start in batches:
        lane.enqueue(
            "jobs.prerender.render_records",
            record_ids[start : start + PRERENDER_BATCH],
            job_timeout=3600,
            result_ttl=600,
            failure_ttl=24 * 3600,
        )
    return len(batches)


def record_pdf_job_id(record_public_id: str, fingerprint: str) -> str:
    """One job per record version and look: a second click while it renders adds nothing."""
    return f"record-pdf-{record_public_id}-{fingerprint[:16]}"


def enqueue_record_pdf(record_id: int, look: tuple, job_id: str) -> None:
    """One record's PDF, asked for by a person waiting on the page: on the small-export lane,
    which a worker-fast takes, so it never waits behind a large export or pre-rendering."""
    lane = queue(SMALL)
    if job_id in lane.job_ids:
        return
    lane.enqueue(
        "jobs.prerender.render_record",
        record_id,
        tuple(look),
        job_id=job_id,
        job_timeout=300,
        result_ttl=600,
        failure_ttl=600,
    )


def record_pdf_failure(job_id: str) -> str | None:
    """Why the record's PDF job failed, while RQ remembers it (a hint for the page only: the
    render cache, not RQ, says whether the PDF exists); None too while Redis is away."""
    try:
        job = Job.fetch(job_id, connection=connection())
    except (NoSuchJobError, redis.RedisError):
        return None
    if not job.is_failed:
        return None
    return (job.latest_result().exc_string or "").strip().splitlines()[-1][
        :300
    ] or "the renderer gave no reason"


def enqueue_mail(export_id: int, kind: str) -> None:
    queue(MAIL).enqueue(
        "jobs.notify.send_export_mail", export_id, kind, retry=mail_retry(), result_ttl=3600
    )


def enqueue_delivery(delivery_id: int, delay_seconds: int = 0) -> None:
    """A webhook delivery attempt, now or (RQ's scheduler, which every worker runs) later.
    The row is the truth: the job claims it first, so a spare copy of the job does nothing."""
    lane, job = queue(WEBHOOKS), "jobs.webhooks.deliver"
    options = {"result_ttl": 600, "failure_ttl": 24 * 3600, "job_timeout": 120}
    if delay_seconds:
        lane.enqueue_in(timedelta(seconds=delay_seconds), job, delivery_id, **options)
    else:
        lane.enqueue(job, delivery_id, **options)


def enqueue_share_notice(share_id: int) -> None:
    """Tells a sharer their recipient downloaded (jobs/shares.py): the row's first download
    was claimed before this is queued, so it is queued once."""
    queue(MAIL).enqueue(
        "jobs.shares.send_first_download_mail", share_id, retry=mail_retry(), result_ttl=3600
    )


def enqueue_endpoint_disabled_mail(endpoint_id: int) -> None:
    queue(MAIL).enqueue(
        "jobs.webhooks.send_disabled_mail", endpoint_id, retry=mail_retry(), result_ttl=3600
    )


SWEEP_JOB_ID = "sitepack-sweep"


def enqueue_sweep(lane: Queue) -> None:
    """A full sweep on `lane` (the worker's own connection); its fixed id keeps it to one."""
    lane.enqueue("jobs.sweep.run_sweep", job_id=SWEEP_JOB_ID, result_ttl=600, job_timeout=600)
