"""The sweeper: keeps the database, Redis and the bucket in agreement. Safe to run any time.

Run by `flask exports sweep` and, every SWEEP_INTERVAL_SECONDS, by one of the workers. Its
recovery part (lost and stalled exports, emails and webhooks still owed) is cheap and must be
quick, so a worker also runs that alone every RECOVERY_INTERVAL_SECONDS (see jobs/worker.py).
"""

from __future__ import annotations

from flask import current_app

from portal import idempotency_keys
from portal.exports import chunks, leftovers, upkeep
from portal.renders import cache
from portal.storage import uploads
from portal.webhooks import delivery


def run_sweep() -> dict[str, int]:
    report = {
        "zips_expired": upkeep.expire_finished(),
        "expiry_warnings": upkeep.warn_expiring(),
        **run_recovery(),
        "uploads_aborted": uploads.tidy().count,
        "chunks_dropped": chunks.discard_ended(),
        "cached_pdfs_forgotten": cache.prune(),
        "idempotency_keys_forgotten": idempotency_keys.forget_expired(),
    }
    current_app.logger.info("sweep: %s", report)
    return report


def run_recovery() -> dict[str, int]:
    """Stalled first: a failed stall owes an email, which the next step then hands over."""
    return {
        "stalled_recovered": upkeep.recover_stalled(),
        "lost_requeued": upkeep.recover_lost_pending(),
        "overdue_retries_queued": upkeep.release_overdue_retries(),
        "owed_mail_queued": upkeep.deliver_owed_mail(),
        "webhooks_requeued": delivery.hand_over_overdue(),
        "left_uploads_aborted": leftovers.abort_owed(),
    }
