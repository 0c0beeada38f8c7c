"""The export job: load → render → archive → upload → notify.

Each step lives in a module named for it; this one only strings them together, records
progress, and makes sure that whatever happens the temp dir is gone and the row tells the truth.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import current_app
from rq import get_current_job

from jobs import build, upload
from jobs.failures import user_reason
from portal import storage
from portal.exports import attempts, queues
from portal.exports.attempts import Attempt, AttemptLost
from portal.mailer import MailKind
from portal.models import utcnow


def run_export(export_id: int) -> str:
    attempt = attempts.claim(export_id)
    if attempt is None:
        return "not claimed: finished, cancelled, or running elsewhere"
    workdir = make_workdir(attempt)
    key = None
    try:
        export = attempts.load(export_id)
        built = build.build_archive(export, attempt, workdir)
        name = upload.download_name(export, utcnow().date())
        key = upload.object_key(export, attempt, name)
        upload.upload(built.path, key, name)
        if not attempts.complete(attempt, key, built.size, built.sha256, built.warnings):
            raise AttemptLost(f"export {export_id} changed state while uploading")
        queues.enqueue_mail(export_id, MailKind.READY)
        return f"completed: {built.count} records, {built.size} bytes"
    except AttemptLost:
        discard(key)
        return "stopped: cancelled or superseded"
    except Exception as exc:
        discard(key)
        record_failure(attempt, exc)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def make_workdir(attempt: Attempt) -> Path:
    """A temp dir for this attempt, after removing any left by earlier attempts of the same
    export on this host: a killed work-horse never reaches its `finally`."""
    root = Path(current_app.config["EXPORT_WORK_DIR"] or tempfile.gettempdir())
    for leftover in root.glob(f"sitepack-export-{attempt.export_id}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    prefix = f"sitepack-export-{attempt.export_id}-{attempt.number}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


def record_failure(attempt: Attempt, exc: Exception) -> None:
    """Retries left: back to pending for RQ's retry. None left: failed, and the user is told."""
    job = get_current_job()
    reason = user_reason(exc)
    if job is not None and job.retries_left:
        attempts.release_for_retry(attempt, f"Retrying after a temporary problem: {reason}")
    elif attempts.fail(attempt, reason):
        queues.enqueue_mail(attempt.export_id, MailKind.FAILURE)


def discard(key: str | None) -> None:
    """Remove this attempt's object; a failure here must not hide the original error."""
    if key is None:
        return
    try:
        storage.delete(key)
    except Exception:  # noqa: BLE001 - the sweeper and lifecycle rules catch what is left
        current_app.logger.warning("could not delete %s; the sweeper will", key, exc_info=True)
