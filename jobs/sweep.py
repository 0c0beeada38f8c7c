"""The sweeper: keeps the database, Redis and the bucket in agreement. Safe to run any time.

Run by `flask exports sweep` and, every SWEEP_INTERVAL_SECONDS, by one of the workers. Its
recovery part (lost and stalled exports, emails still owed) is cheap and must be quick, so
a worker also runs that alone every RECOVERY_INTERVAL_SECONDS (see jobs/worker.py).
"""

from __future__ import annotations

from flask import current_app

from portal import reconcile
from portal.exports import upkeep


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


def abort_stale_uploads() -> int:
    """Incomplete multipart uploads cost money (on the laptop's rclone, disk) and are invisible
    in listings: abort old ones. The lifecycle rule does this after a day; the sweeper does
    it sooner, with the same rule as `flask storage reconcile`."""
    found = reconcile.survey_uploads()
    if found.note:
        current_app.logger.warning("stale uploads: %s", found.note)
    reconcile.remove_uploads(found)
    return found.uploads_count
