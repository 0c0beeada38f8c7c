"""Step 1: load the export's records in batches, each as a frozen RecordSnapshot.

Records are read a batch at a time and let go after use, so a 10,000-record export holds no
more in memory than a 100-record one. Photos are not read here: a snapshot names each
photo's rendition by key, and the render process reads it. This module is the only place a
snapshot is built (jobs/snapshot.py only declares its shape).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from jobs.snapshot import (
    ChecklistLine,
    OriginalRef,
    PhotoRef,
    ProjectSnapshot,
    RecordSnapshot,
    SignOff,
)
from portal.branding import store
from portal.extensions import db
from portal.models import Attachment, ExportItem, Organization, Project, Record
from portal.photos import make_rendition
from portal.renders import codes
from portal.renders.entries import Look
from portal.storage import client as s3
from portal.storage import keys
from portal.vocabulary import RECORD_STATUSES

BATCH = 100


class PhotoProblem(Exception):
    """A photo that cannot go into the PDF: that record goes to ERRORS.txt, the export goes on."""


# The orders an export's records may come in (vocabulary.EXPORT_ORDERS), the reference last.
STATUS_RANK = case({status: n for n, status in enumerate(RECORD_STATUSES)}, value=Record.status)
ORDERS = {
    "kind": (Record.kind, Record.reference),
    "reference": (Record.reference,),
    "status": (STATUS_RANK, Record.reference),
    "due": (Record.due_date.is_(None), Record.due_date, Record.reference),
    "selection": (ExportItem.position.is_(None), ExportItem.position, Record.reference),
}


def requested_records(export_id: int, order: str = "kind") -> dict[int, str]:
    """Record id → reference, in the order asked for (kind, then reference, unless told),
    so the zip, its manifest, index and combined PDF read in a predictable order (and a
    record deleted later can still be named). An export across projects keeps each
    project's records together, projects by name: a section each in the index."""
    rows = db.session.execute(
        select(Record.id, Record.reference)
        .join(ExportItem, ExportItem.record_id == Record.id)
        .join(Project, Project.id == Record.project_id)
        .where(ExportItem.export_id == export_id)
        .order_by(Project.name, Project.id, *ORDERS.get(order, ORDERS["kind"]), Record.id)
    )
    return {record_id: reference for record_id, reference in rows}


def records_of(ids: Sequence[int], organization_id: int) -> Iterator[Record]:
    """The organisation's records among `ids`, in batches, in the order of `ids`' batches."""
    for start in range(0, len(ids), BATCH):
        batch = db.session.scalars(
            select(Record)
            .where(
                Record.id.in_(ids[start : start + BATCH]),
                Record.organization_id == organization_id,
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


def snapshots(ids: Sequence[int], organization_id: int, look: Look) -> Iterator[RecordSnapshot]:
    return (snapshot(record, look) for record in records_of(ids, organization_id))


def snapshot(record: Record, look: Look) -> RecordSnapshot:
    """Everything one record's PDF and zip entries need, copied while its session is open."""
    problem = None
    try:
        ensure_renditions(record)
    except PhotoProblem as exc:
        problem = str(exc)
    project = record.project
    organization = db.session.get(Organization, record.organization_id)
    return RecordSnapshot(
        organization_id=record.organization_id,
        record_id=record.id,
        version=record.version,
        look=look,
        verify_url=codes.verify_url(record.organization_id, record.id, record.version),
        organization=organization.name,
        branding=store.of(organization),
        project=ProjectSnapshot(project.name, project.code, project.address),
        **{name: getattr(record, name) for name in _RECORD_FIELDS},
        checklist=tuple(ChecklistLine(i.label, i.result, i.comment) for i in record.checklist),
        photos=tuple(
            PhotoRef(a.rendition_key, a.sha256, a.caption or "", a.filename, a.taken_at, a.taken_by)
            for a in record.attachments
            if a.rendition_key
        ),
        sign_off=SignOff(
            record.sign_off_name,
            record.sign_off_role,
            record.sign_off_date,
            keys.signature(record.organization_id, record.public_id, record.signature_sha256)
            if record.signature_sha256
            else None,
        ),  # fmt: skip
        originals=tuple(OriginalRef(a.storage_key, a.filename) for a in record.attachments),
        load_error=problem,
    )


_RECORD_FIELDS = (
    "reference", "kind", "title", "status", "location", "trade", "assignee",
    "due_date", "created_at", "updated_at", "description", "raised_by", "closed_by", "closed_at",
    "root_cause", "disposition", "corrective_action",
)  # fmt: skip


def ensure_renditions(record: Record) -> None:
    """Photos uploaded before renditions existed get theirs now, once and for good: a PDF
    never shows a raw original (unchecked, any size, EXIF-rotated). Raises PhotoProblem."""
    made = False
    try:
        for attachment in record.attachments:
            if attachment.rendition_key is None:
                attachment.rendition_key = _make_rendition(record, attachment)
                made = True
    finally:
        if made:
            db.session.commit()


def _make_rendition(record: Record, attachment: Attachment) -> str:
    try:
        rendition, _ = make_rendition(s3.get_bytes(attachment.storage_key), attachment.filename)
    except s3.ObjectMissing:
        raise PhotoProblem(f"photo {attachment.filename!r} is missing from storage") from None
    except ValueError as exc:
        raise PhotoProblem(str(exc)) from None
    folder = keys.attachment_folder(record.organization_id, record.public_id, attachment.public_id)
    key = keys.rendition(folder)
    s3.put_bytes(key, rendition, "image/jpeg")
    return key
