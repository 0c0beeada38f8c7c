"""The lowest lane: records rendered into the cache before anyone exports them.

Enqueued when records change (the seed, the ingest API) and by `flask renders warm`, so that
most exports find every PDF made and are only assembly. Renders in each look (paper size,
archival or not) the organisation's latest record exports used (the default look before its
first export), since a PDF cached in another look is no use to its exports; a record already
cached is skipped.
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
from portal.renders.entries import Look
from portal.storage import client as s3

USUAL_LOOK_EXPORTS = 50  # an organisation's latest record exports whose looks count


def render_records(record_ids: list[int]) -> str:
    rendered = failed = 0
    with RenderPool.for_app(current_app) as pool:
        for organization_id, ids in _by_organisation(record_ids).items():
            for look in usual_looks(organization_id):
                prints = fingerprints(organization_id, ids, look)
                cached = cache.lookup(organization_id, prints.values())
                missing = [rid for rid in ids if rid in prints and prints[rid] not in cached]
                errors = fill(missing, organization_id, look, pool, Unwatched())
                rendered, failed = rendered + len(missing) - len(errors), failed + len(errors)
    return f"rendered {rendered} PDFs into the cache, {failed} could not be rendered"


def render_record(record_id: int, look: tuple) -> str:
    """One record's PDF for a person waiting on its page: one render process, no pool of
    two to start; raises if the record cannot be rendered, so the page can say why."""
    record = db.session.get(Record, record_id)
    if record is None:
        return "deleted since it was asked for"
    with RenderPool(s3.settings(current_app.config), workers=1) as pool:
        errors = fill([record_id], record.organization_id, Look(*look), pool, Unwatched())
    if errors:
        raise RenderError(errors[record_id])
    return "rendered"


def usual_looks(organization_id: int) -> list[Look]:
    """The looks (paper size, archival or not) of the organisation's latest record exports,
    most used first; the default look when it has none."""
    latest = db.session.scalars(
        select(Export.options)
        .where(Export.organization_id == organization_id, Export.kind == ExportKind.RECORDS)
        .order_by(Export.id.desc())
        .limit(USUAL_LOOK_EXPORTS)
    )
    used = Counter(ExportOptions.from_stored(options).look for options in latest)
    return [look for look, _ in used.most_common()] or [
        ExportOptions.parse(None, False, None, "").look
    ]


def _by_organisation(record_ids: list[int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(Record.organization_id, Record.id).where(Record.id.in_(record_ids))
    )
    for organization_id, record_id in rows:
        grouped[organization_id].append(record_id)
    return grouped
