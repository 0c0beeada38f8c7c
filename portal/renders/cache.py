"""The render cache's index, and fetching a cached PDF only when its bytes are the right ones.

An export is mostly assembly when its records' PDFs are already made (see entries.py for
what names one). The index rows make "which of these 10,000 are ready?" one query instead of
10,000 HEAD requests, and hold the digest each object must match.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db
from portal.models import Export, ExportStatus, RenderedPdf, utcnow
from portal.renders.entries import CachedPdf
from portal.storage import client as s3

LOOKUP_BATCH = 500  # ids per IN (...): well under every database's parameter limit
# The app's logger's child: `fetch` runs on reader threads that have no app context.
log = logging.getLogger(__name__)


def lookup(organization_id: int, fingerprints: Iterable[str]) -> dict[str, CachedPdf]:
    """The cached PDFs among `fingerprints`, by fingerprint; scoped to one organisation."""
    wanted, found = list(fingerprints), {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        rows = db.session.execute(
            select(RenderedPdf.record_id, RenderedPdf.fingerprint, RenderedPdf.sha256,
                   RenderedPdf.byte_size)
            .where(
                RenderedPdf.organization_id == organization_id,
                RenderedPdf.fingerprint.in_(wanted[start : start + LOOKUP_BATCH]),
            )
        )  # fmt: skip
        for record_id, print_, sha256, size in rows:
            found[print_] = CachedPdf(organization_id, record_id, print_, sha256, size)
    return found


def remember(entries: Sequence[CachedPdf]) -> None:
    """Index PDFs just stored. The latest write of a key wins, as in S3: two workers that
    render the same record at once store identical bytes, and a PDF rendered again after
    its object failed the digest check replaces the entry with what is stored now."""
    if not entries:
        return
    rows = [
        {
            "organization_id": e.organization_id,
            "record_id": e.record_id,
            "fingerprint": e.fingerprint,
            "sha256": e.sha256,
            "byte_size": e.byte_size,
            "created_at": utcnow(),
        }
        for e in entries
    ]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(RenderedPdf)
    statement = insert.on_conflict_do_update(
        index_elements=["organization_id", "fingerprint"],
        set_={name: insert.excluded[name] for name in ("sha256", "byte_size", "created_at")},
    )
    db.session.execute(statement, rows)
    db.session.commit()


def fetch(entry: CachedPdf, reader: s3.Reader | None = None) -> memoryview | None:
    """The cached PDF, or None when its object is gone (aged out) or is not the bytes the
    index recorded (damaged, tampered with): either way the caller renders it again.
    With a `reader`, no app context is needed (a reader thread of the assembly)."""
    try:
        data = (reader or s3.reader()).get(entry.key)
    except s3.ObjectMissing:
        log.info("render cache: %s is gone; rendering again", entry.key)
        return None
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        log.warning("render cache: %s does not match its digest", entry.key)
        return None
    return data


def prune() -> int:
    """Index rows older than the lifecycle rule's age point at deleted objects: drop them."""
    cutoff = utcnow() - timedelta(days=current_app.config["RENDER_CACHE_DAYS"])
    gone = db.session.execute(delete(RenderedPdf).where(RenderedPdf.created_at < cutoff))
    db.session.commit()
    return gone.rowcount


@dataclass(frozen=True)
class CacheStats:
    objects: int
    bytes: int
    # Of the records in exports finished since `since`, the share found already rendered.
    hit_rate: float | None
    exports: int


def stats(since: datetime, organization_id: int | None = None) -> CacheStats:
    """For the admin queue page; staff see the whole cache, an org admin their own."""
    index = select(func.count(), func.coalesce(func.sum(RenderedPdf.byte_size), 0))
    recent = select(
        func.count(), func.coalesce(func.sum(Export.cache_hits), 0),
        func.coalesce(func.sum(Export.total), 0),
    ).where(Export.status == ExportStatus.COMPLETED, Export.finished_at >= since)  # fmt: skip
    if organization_id is not None:
        index = index.where(RenderedPdf.organization_id == organization_id)
        recent = recent.where(Export.organization_id == organization_id)
    objects, size = db.session.execute(index).one()
    exports, hits, total = db.session.execute(recent).one()
    return CacheStats(objects, size, hits / total if total else None, exports)
