"""The export job: plan → render what the cache lacks → assemble → complete → notify.

Each step lives in a module named for it; this one only strings them together, keeps the
heartbeat going, and makes sure that whatever happens the row tells the truth and nothing
is left behind in the bucket.
"""

from __future__ import annotations

from flask import current_app

from jobs import assemble, fanout, heartbeat, plan
from jobs.assemble import Assembled
from jobs.failures import NothingFetched, record_failure
from jobs.render import RenderPool
from portal.exports import attempts, chunks, leftovers, mail_outbox
from portal.exports.attempts import Attempt, AttemptLost
from portal.mailer import MailKind
from portal.storage import client as s3


def run_export(export_id: int) -> str:
    attempt = attempts.claim(export_id)
    if attempt is None:
        return "not claimed: finished, cancelled, or running elsewhere"
    try:
        zipped = build(attempt)
    except AttemptLost:
        return "stopped: cancelled or superseded"
    chunks.discard(export_id)
    mail_outbox.hand_over_mail(export_id, MailKind.READY)
    return f"completed: {zipped.records} records in {len(zipped.parts)} zips"


def build(attempt: Attempt) -> Assembled:
    """The attempt's work, beating from the claim on; a lost attempt leaves at once (its
    render processes die with the job), any other failure is recorded on the row."""
    with heartbeat.of_attempt(attempt) as pulse, RenderPool.for_app(current_app) as pool:
        try:
            export = attempts.load(attempt.export_id)
            leftovers.abort(export)  # the uploads of the attempts this one supersedes
            work = plan.plan(export, attempt)
            errors = work.unavailable | fanout.render_missing(
                export, attempt, work.missing, pool, pulse
            )
            zipped = assemble.assemble(export, attempt, work, errors, pool, pulse)
            complete(attempt, zipped)
        except AttemptLost:
            raise
        except Exception as exc:
            record_failure(attempt, exc)
            raise
    return zipped


def complete(attempt: Attempt, zipped: Assembled) -> None:
    """The zips are stored under this attempt's own keys; they are deleted when the row
    refuses them, or when they hold no file at all (a bundle whose every link failed: that
    is a failure, not a delivery). Once the row may say completed, nothing deletes them (a
    completion whose answer was lost leaves them for reconcile to judge)."""
    if zipped.link_errors:
        attempts.note_link_errors(attempt, zipped.link_errors)
    if zipped.nothing_fetched:
        discard([part.object_key for part in zipped.parts])
        raise NothingFetched(len(zipped.link_errors))
    if not attempts.complete(attempt, zipped.parts, zipped.warnings, zipped.items):
        discard([part.object_key for part in zipped.parts])
        raise AttemptLost(f"export {attempt.export_id} changed state while uploading")


def discard(keys: list[str]) -> None:
    """Remove this attempt's zips; a failure here must not hide the original error."""
    try:
        s3.delete_many(keys)
    except Exception:  # noqa: BLE001 - the sweeper and lifecycle rules catch what is left
        current_app.logger.warning("could not delete %s; the sweeper will", keys, exc_info=True)
