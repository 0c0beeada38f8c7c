"""The export job: load → render → archive → upload → notify.

Each step lives in a module named for it; this one only strings them together, keeps the
heartbeat going, and makes sure that whatever happens the temp dir is gone and the row tells
the truth.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import current_app

from jobs import build, upload
from jobs.build import BuiltArchive
from jobs.failures import record_failure
from jobs.heartbeat import Heartbeat
from portal.exports import attempts, service
from portal.exports.attempts import Attempt, AttemptLost, StoredPart
from portal.mailer import MailKind
from portal.models import Export, utcnow
from portal.storage import client as s3


def run_export(export_id: int) -> str:
    attempt = attempts.claim(export_id)
    if attempt is None:
        return "not claimed: finished, cancelled, or running elsewhere"
    # Beating from the claim on: clearing an earlier attempt's leftovers can take a while.
    with Heartbeat(attempt) as pulse:
        workdir = make_workdir(attempt)
        try:
            export = attempts.load(export_id)
            built = build.build_archive(export, workdir, pulse)
            store(export, attempt, built)
        except AttemptLost:
            return "stopped: cancelled or superseded"
        except Exception as exc:
            record_failure(attempt, exc)
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    service.hand_over_mail(export_id, MailKind.READY)
    return f"completed: {built.count} records, {built.size} bytes"


def make_workdir(attempt: Attempt) -> Path:
    """A temp dir for this attempt, after removing any left by earlier attempts of the same
    export on this host: a killed work-horse never reaches its `finally`."""
    root = Path(current_app.config["EXPORT_WORK_DIR"] or tempfile.gettempdir())
    for leftover in root.glob(f"sitepack-export-{attempt.export_id}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    prefix = f"sitepack-export-{attempt.export_id}-{attempt.number}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


def store(export: Export, attempt: Attempt, built: BuiltArchive) -> None:
    """Upload under this attempt's own key, then complete the row. The object is deleted
    when the row refused it; once the row may say completed, nothing deletes it (a
    completion whose answer was lost leaves the object for reconcile to judge)."""
    name = upload.download_name(export, utcnow().date())
    key = upload.object_key(export, attempt, name)
    try:
        upload.upload(built.path, key, name)
    except Exception:
        discard(key)
        raise
    part = StoredPart(1, key, built.size, built.sha256, built.count)
    if not attempts.complete(attempt, [part], built.warnings):
        discard(key)
        raise AttemptLost(f"export {export.id} changed state while uploading")


def discard(key: str) -> None:
    """Remove this attempt's object; a failure here must not hide the original error."""
    try:
        s3.delete(key)
    except Exception:  # noqa: BLE001 - the sweeper and lifecycle rules catch what is left
        current_app.logger.warning("could not delete %s; the sweeper will", key, exc_info=True)
