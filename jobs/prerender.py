"""The lowest lane: records rendered into the cache before anyone exports them.

Enqueued when records change (the seed, the ingest API) and by `flask renders warm`, so that
most exports find every PDF made and are only assembly. Renders at each paper size the
organisation's latest record exports used (the default size before its first export), since
a PDF cached at another size is no use to its exports; a record already cached is skipped.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from flask import current_app
from sqlalchemy import select

from jobs.fill import Unwatched, fill
from jobs.plan import fingerprints
from jobs.render import RenderError, RenderPool
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export, ExportKind, Record
from portal.renders import cache
from portal.storage import client as s3

USUAL_PAPER_EXPORTS = 50  # an organisation's latest record exports whose paper sizes count


def render_records(record_ids: list[int]) -> str:
    rendered = failed = 0
    with RenderPool.for_app(current_app) as pool:
        for organization_id, ids in _by_organisation(record_ids).items():
            for paper in usual_papers(organization_id):
                prints = fingerprints(organization_id, ids, paper)
                cached = cache.lookup(organization_id, prints.values())
                missing = [rid for rid in ids if rid in prints and prints[rid] not in cached]
                errors = fill(missing, organization_id, paper, pool, Unwatched())
                rendered, failed = rendered + len(missing) - len(errors), failed + len(errors)
    return f"rendered {rendered} PDFs into the cache, {failed} could not be rendered"


def render_record(record_id: int, paper: str) -> str:
    """One record's PDF for a person waiting on its page: one render process, no pool of
    two to start; raises if the record cannot be rendered, so the page can say why."""
    record = db.session.get(Record, record_id)
    if record is None:
        return "deleted since it was asked for"
    with RenderPool(s3.settings(current_app.config), workers=1) as pool:
        errors = fill([record_id], record.organization_id, paper, pool, Unwatched())
    if errors:
        raise RenderError(errors[record_id])
    return "rendered"


def usual_papers(organization_id: int) -> list[str]:
    """The paper sizes of the organisation's latest record exports, most used first."""
    latest = db.session.scalars(
        select(Export.options)
        .where(Export.organization_id == organization_id, Export.kind == ExportKind.RECORDS)
        .order_by(Export.id.desc())
        .limit(USUAL_PAPER_EXPORTS)
    )
    used = Counter(ExportOptions.from_stored(options).paper for options in latest)
    return [paper for paper, _ in used.most_common()] or [ExportOptions().paper]


def _by_organisation(record_ids: list[int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(Record.organization_id, Record.id).where(Record.id.in_(record_ids))
    )
    for organization_id, record_id in rows:
        grouped[organization_id].append(record_id)
    return grouped
