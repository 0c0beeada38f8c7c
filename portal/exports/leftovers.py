"""The unfinished multipart uploads an export's earlier attempts left in the bucket.

An attempt aborts its own upload when it fails, but not when its work-horse is killed, and
not when storage refuses the abort too (an outage): the parts stay, billed and invisible in
listings. The row marks, in the same write that ends or supersedes an attempt, that the
uploads of attempts before a number are to be aborted (`Export.abort_uploads_below`); their
keys tell which attempt wrote them (storage.keys.attempt_of). The attempt that takes over
aborts them first thing, and the recovery pass retries whatever storage refused, until done.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from sqlalchemy import select, update

from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export
from portal.storage import keys, uploads


def abort(export: Export) -> bool:
    """Abort what the export's earlier attempts left and clear the mark; False, the mark
    kept for the next recovery pass, when storage could not be asked."""
    below = export.abort_uploads_below
    if below is None:
        return True
    try:
        uploads.abort_attempts_before(zip_folder(export), below)
    except (BotoCoreError, ClientError) as exc:
        current_app.logger.warning(
            "could not abort the uploads export %s's attempts before %s left (%s); the "
            "recovery pass will try again", export.public_id, below, exc,
        )  # fmt: skip
        return False
    # Only this mark: a newer attempt may have set a higher one meanwhile.
    db.session.execute(
        update(Export)
        .where(Export.id == export.id, Export.abort_uploads_below == below)
        .values(abort_uploads_below=None)
    )
    db.session.commit()
    return True


def zip_folder(export: Export) -> str:
    """Where every attempt of the export writes its zips: its lifetime and namespace, if it
    is a bundle, name the prefix."""
    options = ExportOptions.of(export)
    return keys.zip_folder(
        export.organization_id, export.public_id, options.ttl_hours, options.namespace
    )


def abort_owed() -> int:
    """For the recovery pass: every export with uploads still to abort; stops at the first
    that storage refuses (it is down: the next pass tries again). Returns those cleared."""
    owed = db.session.scalars(select(Export).where(Export.abort_uploads_below.is_not(None)))
    cleared = 0
    for export in owed.all():
        if not abort(export):
            break
        cleared += 1
    return cleared
