"""The sweeper: keeps the database, Redis and the bucket in agreement. Safe to run any time.

Run by `flask exports sweep` and, every SWEEP_INTERVAL_SECONDS, by one of the workers. Its
recovery part (lost and stalled exports, emails still owed) is cheap and must be quick, so
a worker also runs that alone every RECOVERY_INTERVAL_SECONDS (see jobs/worker.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app

from portal import storage
from portal.exports import upkeep

STALE_UPLOAD_AGE = timedelta(hours=6)


def run_sweep() -> dict[str, int]:
    report = {
        "zips_expired": upkeep.expire_finished(),
        "expiry_warnings": upkeep.warn_expiring(),
        **run_recovery(),
        "uploads_aborted": abort_stale_uploads(),
    }
    current_app.logger.info("sweep: %s", report)
    return report


def run_recovery() -> dict[str, int]:
    """Stalled first: a failed stall owes an email, which the last step then hands over."""
    return {
        "stalled_recovered": upkeep.recover_stalled(),
        "lost_requeued": upkeep.recover_lost_pending(),
        "owed_mail_queued": upkeep.deliver_owed_mail(),
    }


def abort_stale_uploads(older_than: timedelta = STALE_UPLOAD_AGE) -> int:
    """Incomplete multipart uploads cost money and are invisible in listings: abort old ones.

    The lifecycle rule does this after a day; the sweeper does it sooner. Endpoints without
    the multipart-listing API (rclone's serve s3) are skipped.
    """
    cutoff = datetime.now(UTC) - older_than
    try:
        uploads = storage.stale_multipart_uploads("exports/", cutoff)
    except (BotoCoreError, ClientError) as exc:
        current_app.logger.warning("could not list multipart uploads: %s", exc)
        return 0
    for key, upload_id in uploads:
        storage.abort_multipart_upload(key, upload_id)
    return len(uploads)
