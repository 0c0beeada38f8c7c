"""The sweeper: keeps the database, Redis and the bucket in agreement. Safe to run any time.

Run by `flask exports sweep` and, every SWEEP_INTERVAL_SECONDS, by one of the workers.
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
        "stalled_recovered": upkeep.recover_stalled(),
        "lost_requeued": upkeep.recover_lost_pending(),
        "uploads_aborted": abort_stale_uploads(),
    }
    current_app.logger.info("sweep: %s", report)
    return report


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
