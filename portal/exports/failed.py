"""What of an export failed and can be exported again: its records that could not be
rendered and its links that gave no file, as the completing attempt noted them on their
rows (ExportItem.error, ExportLink.error). A record deleted since has no item left, so it
is never offered. `service.redo` makes the new export; pages and the API read `Redo`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.exports.options import LinkIn
from portal.exports.wording import counted
from portal.extensions import db
from portal.models import Export, ExportItem, ExportLink


@dataclass(frozen=True)
class LeftOver:
    """The export's failed records (ids, in the request's order) and links, as asked."""

    record_ids: list[int]
    links: list[LinkIn]

    @property
    def count(self) -> int:
        return len(self.record_ids) + len(self.links)

    @property
    def label(self) -> str:
        """ "2 records", "1 record and 3 links"."""
        counts = [(len(self.record_ids), "record"), (len(self.links), "link")]
        return " and ".join(counted(n, noun) for n, noun in counts if n)


@dataclass(frozen=True)
class Redo:
    """What an export's page offers: its failed items, and the export that redid them."""

    left: LeftOver
    done_as: Export | None


def left_over(export: Export) -> LeftOver:
    record_ids = db.session.scalars(
        select(ExportItem.record_id)
        .where(ExportItem.export_id == export.id, ExportItem.error.is_not(None))
        .order_by(ExportItem.position, ExportItem.record_id)
    ).all()
    links = db.session.execute(
        select(ExportLink.url, ExportLink.name)
        .where(ExportLink.export_id == export.id, ExportLink.error.is_not(None))
        .order_by(ExportLink.position)
    ).all()
    return LeftOver(list(record_ids), [LinkIn(url, name) for url, name in links])


def redone_as(export: Export) -> Export | None:
    """The export made of this one's failures, if one was (the latest)."""
    return db.session.scalar(
        select(Export).where(Export.completes_id == export.id).order_by(Export.id.desc())
    )


def redo_of(export: Export) -> Redo | None:
    """None (without a query) when nothing of the export failed."""
    if not export.warnings:
        return None
    left = left_over(export)
    return Redo(left, redone_as(export)) if left.count else None
