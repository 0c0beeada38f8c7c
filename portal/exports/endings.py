"""How a completed export ends: it expires or is revoked (its zips deleted), or it fails
because storage lost a zip of it. Each is a guarded UPDATE from `completed`, so of two
processes ending one export (the sweeper, an admin, reconcile) exactly one does it."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from sqlalchemy import update

from portal.exports import events, states
from portal.extensions import db
from portal.models import Export, ExportStatus, utcnow
from portal.storage import cdn
from portal.storage import client as s3


def end_completed(
    export: Export, status: ExportStatus, actor_id: int | None = None, reason: str = ""
) -> bool:
    """completed → expired or revoked, recorded, then every zip of it deleted; False if it
    wasn't completed any more (another process got there first)."""
    keys = export.object_keys
    changed = db.session.execute(
        update(Export)
        .where(Export.id == export.id, Export.status.in_(states.sources_of(status)))
        .values(status=status, revoke_reason=reason or None)
    ).rowcount
    if changed:
        zips = "zip" if len(keys) == 1 else f"{len(keys)} zips"
        detail = f"{zips} deleted from storage" + (f"; reason: {reason}" if reason else "")
        events.add(export.id, status, detail, actor_id=actor_id, state=status)
    db.session.commit()
    if changed:
        discard_objects(keys)
    return bool(changed)


def discard_objects(keys: list[str]) -> None:
    """Delete an export's zips and invalidate their CDN paths; failures are logged, not
    raised, because the database change they follow has already been committed."""
    for key in keys:
        try:
            s3.delete(key)
        except (BotoCoreError, ClientError) as exc:
            current_app.logger.warning("could not delete %s (reconcile will): %s", key, exc)
    cdn.invalidate(keys)


def missing_parts_reason(missing: list[int], of: int) -> str:
    """What the export's page says when reconcile found zips of a ready export gone."""
    if of == 1:
        return "The zip was missing from storage; select Retry to build it again."
    numbers = ", ".join(str(n) for n in missing)
    which = f"Part {numbers} of {of} was" if len(missing) == 1 else f"Parts {numbers} of {of} were"
    return f"{which} missing from storage; select Retry to build the export again."


def fail_missing_parts(export: Export, missing: list[int]) -> bool:
    """A ready export with any zip not in the bucket: failed, so nobody gets a broken link.

    Guarded by the attempt too (each attempt writes its own keys): a row revoked, expired or
    rebuilt since it was checked is left alone.
    """
    reason = missing_parts_reason(missing, len(export.parts))
    changed = db.session.execute(
        update(Export)
        .where(
            Export.id == export.id,
            Export.status == ExportStatus.COMPLETED,
            Export.attempt == export.attempt,
        )
        .values(status=ExportStatus.FAILED, error=reason, finished_at=utcnow())
    ).rowcount
    if changed:
        detail = f"{reason} (found by storage reconcile)"
        events.add(export.id, ExportStatus.FAILED, detail, state=ExportStatus.FAILED)
    db.session.commit()
    return bool(changed)
