"""What changed since an export was made: the records whose version moved, for the re-order
panel ("12 of 146 records changed since"), and whether it can be made again "as they were".

The completing attempt noted on each export item the version and render-cache entry of the
PDF it put in the zip (attempts.note_items). A record whose version is higher now changed
since; a record deleted since has lost its item, so the difference in count says how many
went. "As they were" is possible while the render cache's index still holds every one of
those PDFs (they age out after RENDER_CACHE_DAYS): the re-order then reads them, never
rendering a record again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from portal.exports import wording
from portal.extensions import db
from portal.models import Export, ExportItem, Record, RenderedPdf

# Changed records a page lists by name; the rest are counted ("and 7 more").
LISTED = 20


@dataclass(frozen=True)
class ChangedRecord:
    public_id: str
    reference: str
    title: str


@dataclass(frozen=True)
class Changes:
    records: int  # the records the export held
    changed: int  # of which changed since
    deleted: int  # of which deleted since
    listed: list[ChangedRecord]
    # Every PDF it held is still in the render cache: it can be made again as it was.
    as_they_were: bool

    @property
    def more(self) -> int:
        return self.changed - len(self.listed)

    @property
    def summary(self) -> str:
        """ "12 of 146 records changed since" (and how many were deleted)."""
        said = f"{self.changed:,} of {wording.counted(self.records, 'record')} changed since"
        return said + (f"; {self.deleted:,} deleted since" if self.deleted else "")


def since(export: Export) -> Changes | None:
    """None for an export that noted no versions (a bundle, one that never completed, or
    one from before versions were noted): nothing can be said of what changed."""
    items = select(ExportItem).where(ExportItem.export_id == export.id).subquery()
    kept, versioned = db.session.execute(
        select(func.count(), func.count(items.c.version)).select_from(items)
    ).one()
    if not versioned:
        return None
    moved = (
        select(Record.public_id, Record.reference, Record.title)
        .join(items, items.c.record_id == Record.id)
        .where(Record.organization_id == export.organization_id, Record.version != items.c.version)
    )
    changed = db.session.scalar(select(func.count()).select_from(moved.subquery()))
    listed = db.session.execute(moved.order_by(Record.reference).limit(LISTED)).all()
    records = wording.records(export)
    return Changes(
        records=records,
        changed=changed,
        deleted=max(0, records - kept),
        listed=[ChangedRecord(*row) for row in listed],
        as_they_were=changed > 0 and kept == records and all_cached(export, kept),
    )


def all_cached(export: Export, kept: int) -> bool:
    """Every item's PDF is still indexed in the render cache (its fingerprint, this org)."""
    held = db.session.scalar(
        select(func.count())
        .select_from(ExportItem)
        .join(
            RenderedPdf,
            and_(
                RenderedPdf.organization_id == export.organization_id,
                RenderedPdf.fingerprint == ExportItem.fingerprint,
            ),
        )
        .where(ExportItem.export_id == export.id)
    )
    return held == kept
