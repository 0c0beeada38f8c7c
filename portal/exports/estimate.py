"""How big and how long an export will be, before anyone asks for it: the records page's
selection bar and `POST /api/v1/exports` with `dry_run` both read `estimate()`.

Three aggregate queries, whatever the selection's size (10,000 records cost what 10 do):
- the selection: records, photos, the originals' bytes, and from the render cache's index
  how many records have a PDF newer than their last change (the likely hits) and the sizes
  of the PDFs they were last rendered to;
- the organisation's recent renditions: a line through PDF size against photo count, which
  sizes the records never rendered (`PDF_BYTES` and `PHOTO_BYTES` until the cache has some);
- the lane's recent exports: the fixed seconds and the seconds per record rendered, learnt
  from how long they took (`RATES_DEFAULT` until the lane has run some).

An estimate, not a promise: a PDF rendered in another look (paper, archival) or before a
template or branding change counts as a hit here, and is rendered again by the export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, case, exists, func, select

from portal import queues
from portal.exports import states
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Attachment, Export, ExportKind, Record, RenderedPdf, utcnow

# A record's PDF without photos, and what each photo adds (the demo data, measured).
PDF_BYTES, PHOTO_BYTES = 60_000, 150_000
# What each zip entry and manifest line adds beside the PDF (headers, CSV and xlsx rows,
# the index's line), and the export's fixed files (index and manifests' first page).
ENTRY_BYTES, EXPORT_BYTES = 900, 40_000
# Seconds an export takes besides its records (pick-up, plan, index, upload), per record
# rendered (2 render processes, a busy 2-core machine) and per record read from the cache
# (a warm export's ~8 ms, measured); a lane's history replaces the first two.
RATES_DEFAULT = (1.0, 0.5, 0.008)
# The lane's history: exports finished within this window, at most this many.
HISTORY, HISTORY_EXPORTS = timedelta(days=7), 20
# The renditions the size line is drawn through, newest first.
CALIBRATION_PDFS = 500
# Too few records rendered in an export to learn the render rate from.
LEARN_MIN = 5


@dataclass(frozen=True)
class Estimate:
    records: int
    photos: int
    cached: int  # records the render cache likely holds
    byte_size: int  # the zip(s), as the options ask
    originals_bytes: int  # what "original photos as files too" adds (in byte_size if asked)
    seconds: float
    parts: int  # as the options ask
    parts_with_originals: int
    lane: str

    @property
    def hit_ratio(self) -> float:
        return self.cached / self.records if self.records else 0.0

    def as_dict(self) -> dict:
        return {
            "records": self.records, "photos": self.photos, "cached": self.cached,
            "hit_ratio": round(self.hit_ratio, 3), "byte_size": self.byte_size,
            "originals_bytes": self.originals_bytes, "seconds": round(self.seconds, 1),
            "parts": self.parts, "parts_with_originals": self.parts_with_originals,
            "lane": self.lane,
        }  # fmt: skip


@dataclass(frozen=True)
class Selection:
    records: int
    photos: int
    originals_bytes: int
    cached: int
    known_bytes: int  # sizes of the records' latest PDFs, where they have one
    unknown_records: int
    unknown_photos: int


def estimate(organization_id: int, record_ids: Select, options: ExportOptions) -> Estimate:
    """`record_ids`: a SELECT of Record.id, already scoped to the organisation."""
    picked = measure(record_ids)
    per_pdf, per_photo = pdf_size_line(organization_id)
    pdfs = picked.known_bytes + picked.unknown_records * per_pdf
    pdfs += picked.unknown_photos * per_photo
    copies = int(options.per_record_files) + int(options.combined)
    size = (
        round(copies * pdfs) + picked.records * ENTRY_BYTES + EXPORT_BYTES if picked.records else 0
    )
    originals = picked.originals_bytes + picked.photos * ENTRY_BYTES
    asked = size + originals if options.include_originals else size
    lane = queues.lane_for(picked.records)
    fixed, render, read = lane_rates(lane)
    misses = picked.records - picked.cached
    seconds = fixed + misses * render + picked.cached * read if picked.records else 0.0
    part_bytes = current_app.config["EXPORT_PART_BYTES"]
    return Estimate(
        picked.records, picked.photos, picked.cached, asked, originals, seconds,
        parts_of(asked, part_bytes), parts_of(size + originals, part_bytes), lane,
    )  # fmt: skip


def parts_of(size: int, part_bytes: int) -> int:
    return max(1, math.ceil(size / part_bytes)) if size else 0


def measure(record_ids: Select) -> Selection:
    """The selection's figures in one aggregate query (a subquery per photo and PDF count)."""
    ids = record_ids.order_by(None).scalar_subquery()
    photos = (
        select(Attachment.record_id, func.count().label("n"),
               func.sum(Attachment.byte_size).label("size"))
        .where(Attachment.record_id.in_(ids)).group_by(Attachment.record_id).subquery()
    )  # fmt: skip
    fresh = exists().where(
        RenderedPdf.record_id == Record.id, RenderedPdf.created_at >= Record.updated_at
    )
    latest = (
        select(RenderedPdf.byte_size).where(RenderedPdf.record_id == Record.id)
        .order_by(RenderedPdf.created_at.desc()).limit(1).scalar_subquery()
    )  # fmt: skip
    shown = func.coalesce(photos.c.n, 0)
    row = db.session.execute(
        select(
            func.count(Record.id), func.coalesce(func.sum(shown), 0),
            func.coalesce(func.sum(photos.c.size), 0),
            func.coalesce(func.sum(case((fresh, 1), else_=0)), 0),
            func.coalesce(func.sum(latest), 0),
            func.coalesce(func.sum(case((latest.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((latest.is_(None), shown), else_=0)), 0),
        )
        .outerjoin(photos, photos.c.record_id == Record.id)
        .where(Record.id.in_(ids))
    ).one()  # fmt: skip
    return Selection(*(int(value) for value in row))


def pdf_size_line(organization_id: int) -> tuple[float, float]:
    """Bytes of a PDF without photos and per photo, fitted by least squares through the
    organisation's newest cached PDFs; the measured defaults until they vary in photos."""
    photos = (
        select(Attachment.record_id, func.count().label("n"))
        .where(Attachment.organization_id == organization_id)
        .group_by(Attachment.record_id).subquery()
    )  # fmt: skip
    newest = (
        select(RenderedPdf.byte_size.label("size"), func.coalesce(photos.c.n, 0).label("n"))
        .outerjoin(photos, photos.c.record_id == RenderedPdf.record_id)
        .where(RenderedPdf.organization_id == organization_id)
        .order_by(RenderedPdf.created_at.desc()).limit(CALIBRATION_PDFS).subquery()
    )  # fmt: skip
    count, sx, sy, sxx, sxy = db.session.execute(
        select(func.count(), func.sum(newest.c.n), func.sum(newest.c.size),
               func.sum(newest.c.n * newest.c.n), func.sum(newest.c.n * newest.c.size))
    ).one()  # fmt: skip
    spread = count * (sxx or 0) - (sx or 0) ** 2 if count else 0
    if spread <= 0:
        return PDF_BYTES, PHOTO_BYTES
    slope = (count * sxy - sx * sy) / spread
    base = (sy - slope * sx) / count
    return (base, slope) if base > 0 and slope > 0 else (PDF_BYTES, PHOTO_BYTES)


def lane_rates(lane: str) -> tuple[float, float, float]:
    """(fixed seconds, seconds per record rendered, per record read from the cache): the
    defaults, then learnt from the lane's recent records exports (start to finish): the
    fixed part from those that read nearly everything from the cache (reading is cheap and
    steady, so what is left is the fixed part), the render rate from those that rendered."""
    fixed, render, read = RATES_DEFAULT
    recent = db.session.execute(
        select(Export.started_at, Export.finished_at, Export.total, Export.cache_hits)
        .where(Export.queue_name == lane, Export.kind == ExportKind.RECORDS,
               Export.status.in_(states.HAD_ZIP), Export.finished_at >= utcnow() - HISTORY,
               Export.started_at.is_not(None))
        .order_by(Export.finished_at.desc()).limit(HISTORY_EXPORTS)
    ).all()  # fmt: skip
    runs = [((end - start).total_seconds(), total - hits, hits)
            for start, end, total, hits in recent]  # fmt: skip
    warm = [spent - hits * read for spent, rendered, hits in runs if not rendered]
    if warm:
        fixed = max(0.0, sum(warm) / len(warm))
    cold = [(spent - fixed - hits * read, rendered) for spent, rendered, hits in runs
            if rendered >= LEARN_MIN]  # fmt: skip
    if cold:
        render = max(0.0, sum(s for s, _ in cold)) / sum(r for _, r in cold)
    return fixed, render, read
