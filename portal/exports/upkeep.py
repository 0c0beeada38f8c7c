"""What the sweeper does to Export rows: expire, warn, recover lost and stalled jobs.

The database is the truth and Redis can be lost: a pending row whose job has vanished is
enqueued again, and a processing row whose heartbeat stopped gets one more run, then fails.
"""

from __future__ import annotations

from datetime import timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import and_, or_, select

from portal import queues
from portal.exports import attempts, events, mail_outbox, states
from portal.exports.attempts import Attempt
from portal.exports.endings import end_completed
from portal.extensions import db
from portal.mailer import MailKind
from portal.models import Export, ExportStatus, utcnow

# A new row is committed a moment before its job is enqueued: not lost in that moment.
LOST_PENDING_GRACE = timedelta(seconds=10)
# RQ's scheduler queues a due job within a second; a retry this much later has none running.
OVERDUE_RETRY_GRACE = timedelta(seconds=3)
GONE_JOB_STATES = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
STALLED_REASON = (
    "The export stopped responding twice while it was being built. "
    "Select Retry; if it stops again, export fewer records at a time and tell the Sitepack team."
)


def expire_finished() -> int:
    """Completed exports past expires_at become expired and their zips are deleted."""
    due = db.session.scalars(
        select(Export).where(
            Export.status == ExportStatus.COMPLETED, states.is_shown_as(ExportStatus.EXPIRED)
        )
    ).all()
    for export in due:
        end_completed(export, ExportStatus.EXPIRED)
    return len(due)


def warn_expiring() -> int:
    """Enqueue the once-only 'expires tomorrow' mail; the mail job claims it on the row.

    Exports that lived less than a day in all (a short EXPORT_TTL_HOURS) get no warning."""
    soon = utcnow() + timedelta(hours=24)
    due = db.session.scalars(
        select(Export).where(
            states.is_shown_as(ExportStatus.COMPLETED),
            Export.expires_at <= soon,
            Export.expiring_mail_sent_at.is_(None),
        )
    ).all()
    warned = [e for e in due if e.expires_at - e.finished_at > timedelta(hours=24)]
    for export in warned:
        queues.enqueue_mail(export.id, MailKind.EXPIRING)
    return len(warned)


def recover_stalled() -> int:
    """Processing exports whose heartbeat stopped (a killed work-horse, a dead host) run
    again once, then fail; the attempt number fences off the old run if it is still alive."""
    stalled = db.session.scalars(select(Export).where(attempts.stalled())).all()
    for export in stalled:
        attempt = Attempt(export.id, export.attempt)
        if export.requeues >= 1:
            attempts.fail_stalled(attempt, STALLED_REASON)
        elif attempts.requeue_stalled(attempt, export.requeues):
            queues.enqueue_export(export)
    return len(stalled)


def recover_lost_pending() -> int:
    """Pending rows whose RQ job is gone (Redis flushed or restarted) are enqueued again,
    once their automatic retry, if one waits, is due."""
    now = utcnow()
    candidates = db.session.scalars(
        select(Export).where(
            Export.status == ExportStatus.PENDING,
            Export.created_at < now - LOST_PENDING_GRACE,
            or_(Export.next_try_at.is_(None), Export.next_try_at <= now),
        )
    ).all()
    lost = [e for e in candidates if job_is_gone(e)]
    for export in lost:
        events.add(export.id, "requeued", "its job was missing from the queue")
        db.session.commit()
        queues.enqueue_export(export)
    return len(lost)


def release_overdue_retries() -> int:
    """Pending rows whose automatic retry is overdue while its job still waits in RQ's
    scheduled registry: no scheduler runs (a SIGKILLed one holds its lock for a minute, and a
    worker that found it taken may start its own only later). The pass queues the job
    itself, so a due retry runs within seconds as long as any worker runs this pass."""
    overdue = db.session.scalars(
        select(Export).where(
            Export.status == ExportStatus.PENDING,
            Export.next_try_at < utcnow() - OVERDUE_RETRY_GRACE,
        )
    ).all()
    released = [export for export in overdue if queues.release_overdue_retry(export)]
    for export in released:
        events.add(export.id, "requeued", "its retry was due and no scheduler had queued it")
    db.session.commit()
    return len(released)


def deliver_owed_mail() -> int:
    """Emails a row still owes (Redis was down when it was due, or its job was lost) are
    handed to the mail queue; the mail job claims each, so a spare one sends nothing."""
    owed = db.session.execute(
        select(Export.id, Export.mail_due).where(
            Export.mail_due_at <= utcnow(),
            or_(*(and_(*mail_outbox.mail_owed(kind)) for kind in mail_outbox.OWED_IN)),
        )
    ).all()
    handed = 0
    for export_id, kind in owed:
        if not mail_outbox.hand_over_mail(export_id, MailKind(kind)):
            break  # Redis is down: the next pass tries again
        handed += 1
    return handed


def job_is_gone(export: Export) -> bool:
    try:
        job = Job.fetch(queues.job_id(export), connection=queues.connection())
    except NoSuchJobError:
        return True
    return job.get_status(refresh=False) in GONE_JOB_STATES
