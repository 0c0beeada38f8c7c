"""Step 1: load the export's records in batches, with their report-size photos.

Records are read a batch at a time and let go after use, so a 10,000-record export holds no
more in memory than a 100-record one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from botocore.exceptions import ClientError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from jobs.render import snapshot_from_record
from portal.extensions import db
from portal.models import Attachment, Export, ExportItem, Record
from portal.storage import client as s3

BATCH = 100


class MissingPhoto(Exception):
    """A photo's file is gone from storage: that record goes to ERRORS.txt, the export goes on."""


def record_ids(export_id: int) -> list[int]:
    """Ids in reference order, so the zip and its manifest read in a predictable order."""
    return list(
        db.session.scalars(
            select(Record.id)
            .join(ExportItem, ExportItem.record_id == Record.id)
            .where(ExportItem.export_id == export_id)
            .order_by(Record.kind, Record.reference)
        )
    )


def records(export: Export) -> Iterator[Record]:
    ids = record_ids(export.id)
    for start in range(0, len(ids), BATCH):
        batch = db.session.scalars(
            select(Record)
            .where(
                Record.id.in_(ids[start : start + BATCH]),
                Record.organization_id == export.organization_id,
            )
            .options(
                selectinload(Record.checklist),
                selectinload(Record.attachments),
                selectinload(Record.project),
            )
            .order_by(Record.kind, Record.reference)
        ).all()
        yield from batch
        for record in batch:
            db.session.expunge(record)


def rendition(attachment: Attachment) -> bytes:
    try:
        return s3.get_bytes(attachment.rendition_key or attachment.storage_key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            raise MissingPhoto(f"photo {attachment.filename!r} is missing from storage") from exc
        raise


def snapshot(record: Record, exported_at: datetime, paper: str) -> dict:
    """A picklable description of one record for a render process; photo errors ride along."""
    photos, problem = [], None
    for attachment in record.attachments:
        try:
            photos.append((attachment, rendition(attachment)))
        except MissingPhoto as exc:
            problem = str(exc)
    snap = snapshot_from_record(record, photos, exported_at, paper)
    snap["load_error"] = problem
    snap["originals"] = [(a.storage_key, a.filename) for a in record.attachments]
    return snap
