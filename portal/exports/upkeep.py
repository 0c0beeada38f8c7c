"""What the sweeper does to Export rows: expire, warn, recover lost and stalled jobs.

The database is the truth and Redis can be lost: a pending row whose job has vanished is
enqueued again, and a processing row whose heartbeat stopped gets one more run, then fails.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update

from portal.exports import events, queues, states
from portal.exports.service import end_completed
from portal.extensions import db
from portal.mailer import MailKind
from portal.models import Export, ExportStatus, utcnow

LOST_PENDING_GRACE = timedelta(seconds=60)
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
    stale_before = utcnow() - timedelta(seconds=current_app.config["EXPORT_STALE_SECONDS"])
    stalled = db.session.scalars(
        select(Export).where(
            Export.status == ExportStatus.PROCESSING, Export.heartbeat_at < stale_before
        )
    ).all()
    for export in stalled:
        guard = (
            (Export.id == export.id)
            & (Export.status == ExportStatus.PROCESSING)
            & (Export.attempt == export.attempt)
        )
        if export.requeues < 1:
            values = {
                "status": ExportStatus.PENDING,
                "requeues": export.requeues + 1,
                "heartbeat_at": None,
            }
        else:
            values = {
                "status": ExportStatus.FAILED,
                "error": STALLED_REASON,
                "finished_at": utcnow(),
            }
        changed = db.session.execute(update(Export).where(guard).values(**values)).rowcount
        if changed:
            events.add(
                export.id,
                "stalled",
                f"attempt {export.attempt} stopped responding; "
                + ("queued again" if values["status"] == ExportStatus.PENDING else "given up"),
            )
        db.session.commit()
        if changed and values["status"] == ExportStatus.PENDING:
            queues.enqueue_export(export)
        elif changed:
            queues.enqueue_mail(export.id, MailKind.FAILURE)
    return len(stalled)


def recover_lost_pending() -> int:
    """Pending rows whose RQ job is gone (Redis flushed or restarted) are enqueued again."""
    candidates = db.session.scalars(
        select(Export).where(
            Export.status == ExportStatus.PENDING, Export.created_at < utcnow() - LOST_PENDING_GRACE
        )
    ).all()
    lost = [e for e in candidates if job_is_gone(e)]
    for export in lost:
        events.add(export.id, "requeued", "its job was missing from the queue")
        db.session.commit()
        queues.enqueue_export(export)
    return len(lost)


def job_is_gone(export: Export) -> bool:
    try:
        job = Job.fetch(queues.job_id(export), connection=queues.connection())
    except NoSuchJobError:
        return True
    return job.get_status(refresh=False) in GONE_JOB_STATES
