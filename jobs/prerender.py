"""The lowest lane: records rendered into the cache before anyone exports them.

Enqueued when records change (the seed, the ingest API) and by `flask renders warm`, so that
most exports find every PDF made and are only assembly. Renders at the default paper size,
the one most exports ask for; a record already cached is skipped.
"""

from __future__ import annotations

from collections import defaultdict

from flask import current_app
from sqlalchemy import select

from jobs.fill import Unwatched, fill
from jobs.plan import fingerprints
from jobs.render import RenderPool
from portal.exports.service import ExportOptions
from portal.extensions import db
from portal.models import Record
from portal.renders import cache


def render_records(record_ids: list[int]) -> str:
    paper = ExportOptions().paper
    rendered = failed = 0
    with RenderPool.for_app(current_app) as pool:
        for organization_id, ids in _by_organisation(record_ids).items():
            prints = fingerprints(organization_id, ids, paper)
            cached = cache.lookup(organization_id, prints.values())
            missing = [rid for rid in ids if rid in prints and prints[rid] not in cached]
            errors = fill(missing, organization_id, paper, pool, Unwatched())
            rendered, failed = rendered + len(missing) - len(errors), failed + len(errors)
    return f"rendered {rendered} records into the cache, {failed} could not be rendered"


def _by_organisation(record_ids: list[int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(Record.organization_id, Record.id).where(Record.id.in_(record_ids))
    )
    for organization_id, record_id in rows:
        grouped[organization_id].append(record_id)
    return grouped
