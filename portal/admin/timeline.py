"""One export's story for the admin detail page: its events and its downloads, in time order,
and the records it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Download, Export, ExportEvent, ExportItem, ExportStatus, Record, User
from portal.shares.audit import timeline_entries

LABELS = {
    "requested": "Requested",
    "started": "Attempt started",
    "retrying": "Attempt failed, will retry",
    ExportStatus.COMPLETED: "Completed",
    ExportStatus.FAILED: "Failed",
    ExportStatus.CANCELLED: "Cancelled",
    "reordered": "Re-ordered",
    "admin_reorder": "Re-ordered by an admin",
    "redone": "What failed exported again",
    "admin_redo": "What failed exported again by an admin",
    "retried": "Retried",
    ExportStatus.EXPIRED: "Expired",
    "stalled": "Stopped responding",
    "requeued": "Queued again",
    "mail_sent": "Email sent",
    ExportStatus.REVOKED: "Revoked",
    "downloaded": "Downloaded",
    "shared": "Shared outside the organisation",
    "share_revoked": "Share link withdrawn",
    "share_opened": "Share link opened",
    "share_downloaded": "Downloaded through a share link",
}
SHOWN_RECORDS = 20


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    actor: User | None
    detail: str

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


def timeline(export: Export) -> list[Entry]:
    """Events, downloads and the external shares' story merged by time; on a tie an event
    comes before a download, and a download before a share's entry."""
    events = db.session.scalars(
        select(ExportEvent)
        .options(selectinload(ExportEvent.actor))
        .where(ExportEvent.export_id == export.id)
        .order_by(ExportEvent.created_at, ExportEvent.id)
    )
    downloads = db.session.execute(
        select(Download, User)
        .join(User, Download.user_id == User.id)
        .where(Download.export_id == export.id)
        .order_by(Download.created_at, Download.id)
    )
    entries = [(e.created_at, 0, Entry(e.created_at, e.kind, e.actor, e.detail)) for e in events]
    entries += [
        (d.created_at, 1, Entry(d.created_at, "downloaded", user, f"from {d.ip_address}"))
        for d, user in downloads
    ]
    entries += [(at, 2, Entry(at, *rest)) for at, *rest in timeline_entries(export)]
    return [entry for _, _, entry in sorted(entries, key=lambda item: item[:2])]


def first_records(export: Export, limit: int = SHOWN_RECORDS) -> list[Record]:
    """The first records of the selection by reference, enough to recognise it."""
    return list(
        db.session.scalars(
            select(Record)
            .join(ExportItem, ExportItem.record_id == Record.id)
            .where(ExportItem.export_id == export.id)
            .order_by(Record.reference)
            .limit(limit)
        )
    )
