"""Records pushed in by the system that owns them (PUT /api/v1/.../records/<reference>):
created, or replaced whole, by their reference in that system.

The version (and so the render cache's fingerprint) moves only when what the PDF shows
changes: a PUT that repeats the record as it is writes nothing. A changed record is queued
for pre-rendering, as the engine does for the seed's records, so the next export finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from portal import queues, signatures
from portal.extensions import db
from portal.models import Attachment, ChecklistItem, Project, Record, new_public_id, utcnow
from portal.photos import ingest_photo
from portal.records import queries


@dataclass(frozen=True)
class RecordContent:
    """Everything the owner's system says about a record, as plain values."""

    kind: str
    title: str
    status: str
    location: str
    trade: str
    assignee: str
    due_date: date | None
    description: str
    checklist: tuple[tuple[str, str, str], ...]  # (label, result, comment)
    raised_by: str = ""
    closed_by: str = ""
    closed_at: datetime | None = None  # naive UTC, as stored
    root_cause: str = ""
    disposition: str = ""
    corrective_action: str = ""
    sign_off_name: str = ""
    sign_off_role: str = ""
    sign_off_date: date | None = None
    signature_sha256: str | None = None  # of the PNG passed to upsert() beside it

    @classmethod
    def of(cls, record: Record) -> RecordContent:
        columns = {f.name: getattr(record, f.name) for f in fields(cls) if f.name != "checklist"}
        lines = tuple((i.label, i.result, i.comment) for i in record.checklist)
        return cls(**columns, checklist=lines)


@dataclass(frozen=True)
class Upserted:
    record: Record
    created: bool
    changed: bool


def upsert(
    project: Project, reference: str, content: RecordContent, signature: bytes | None = None
) -> Upserted:
    """Create or replace the record; two requests creating one reference at once collide on
    the (project, reference) constraint, and the loser replaces the winner's row.
    `signature` is the PNG whose digest `content.signature_sha256` names (portal/signatures.py)."""
    try:
        result = _write(project, reference, content, signature)
    except IntegrityError:
        db.session.rollback()
        result = _write(project, reference, content, signature)
    if result.changed:
        prerender(result.record)
    return result


def _write(
    project: Project, reference: str, content: RecordContent, signature: bytes | None
) -> Upserted:
    record = queries.record_by_reference(project, reference)
    created = record is None
    if created:
        record = Record(
            organization_id=project.organization_id, project_id=project.id, reference=reference
        )
        db.session.add(record)
    elif RecordContent.of(record) == content:
        return Upserted(record, created=False, changed=False)
    if signature is not None:
        # A record not yet flushed has no public id; the signature's key needs it now.
        record.public_id = record.public_id or new_public_id()
        signatures.store(project.organization_id, record.public_id, signature)
    _apply(record, content)
    db.session.commit()
    return Upserted(record, created=created, changed=True)


def _apply(record: Record, content: RecordContent) -> None:
    for f in fields(content):
        if f.name != "checklist":
            setattr(record, f.name, getattr(content, f.name))
    record.checklist = [
        ChecklistItem(position=n, label=label, result=result, comment=comment)
        for n, (label, result, comment) in enumerate(content.checklist, start=1)
    ]
    # Written even when only the checklist changed, so the record's row (and its version) moves.
    record.updated_at = utcnow()


def add_photo(
    record: Record, filename: str, data: bytes, caption: str, taken_by: str
) -> Attachment:
    """Store a checked photo and its rendition (ValueError for bytes that are no photo, with
    nothing stored); the record's version moves, as its PDF changes."""
    attachment = ingest_photo(record, filename, data, caption, taken_by)
    record.updated_at = utcnow()
    db.session.commit()
    prerender(record)
    return attachment


def prerender(record: Record) -> None:
    """Queue the record's PDF for the render cache; with Redis down the export renders it."""
    try:
        queues.enqueue_prerender([record.id])
    except RedisError as exc:
        current_app.logger.warning("record %s not queued for pre-rendering: %s", record.id, exc)
