"""Planning an attempt: which of the export's records the render cache already holds.

Each record's fingerprint comes from a light query (its version and its photos' digests, no
text, no photo bytes), so a warm 10,000-record export is planned in a few dozen queries
without loading a single record. The records found count as done from the start.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from jobs import load, render
from portal.branding.brand import Branding
from portal.exports import attempts
from portal.exports.attempts import Attempt
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Attachment, Export, ExportItem, Organization, Project, Record
from portal.renders import cache, codes, entries
from portal.renders.entries import CachedPdf, Look

BATCH = 500
# Why a record of an export "as they were" has no PDF: the cache no longer holds that one.
NOT_KEPT = "its PDF as it was in the earlier export is no longer kept"


@dataclass(frozen=True)
class Work:
    record_ids: tuple[int, ...]  # every record of the export, in the zip's order
    cached: dict[int, CachedPdf]  # record id → its PDF, already in the cache when planned
    missing: tuple[int, ...]  # the records to render, in the zip's order
    references: dict[int, str]  # record id → reference when planned, to name one deleted since
    gone: int  # records requested but deleted before planning (with their export items)
    # An export "as they were": the version each record's PDF shows, and the records whose
    # earlier PDF the cache no longer holds (never rendered anew: they have no PDF).
    versions: dict[int, int] = field(default_factory=dict)
    unavailable: dict[int, str] = field(default_factory=dict)


def plan(export: Export, attempt: Attempt) -> Work:
    options = ExportOptions.of(export)
    references = load.requested_records(export.id, options.order)
    ids = list(references)
    pinned = pinned_items(export.id) if options.as_they_were else {}
    if options.as_they_were:
        prints = {rid: fingerprint for rid, (_, fingerprint) in pinned.items() if fingerprint}
    else:
        prints = fingerprints(export.organization_id, ids, options.look)
    found = cache.lookup(export.organization_id, prints.values())
    cached = {rid: found[prints[rid]] for rid in ids if prints.get(rid) in found}
    lacking = tuple(rid for rid in ids if rid not in cached)
    gone = export.total - len(export.links) - len(ids)
    if not options.as_they_were:
        attempts.planned(attempt, len(cached))
        return Work(tuple(ids), cached, lacking, references, gone)
    attempts.planned(attempt, len(cached), settled=len(lacking))
    versions = {rid: version for rid, (version, _) in pinned.items() if version is not None}
    unavailable = dict.fromkeys(lacking, NOT_KEPT)
    return Work(tuple(ids), cached, (), references, gone, versions, unavailable)


def pinned_items(export_id: int) -> dict[int, tuple[int | None, str | None]]:
    """Record id → (version, fingerprint) its export item was requested with."""
    rows = db.session.execute(
        select(ExportItem.record_id, ExportItem.version, ExportItem.fingerprint).where(
            ExportItem.export_id == export_id
        )
    )
    return {rid: (version, fingerprint) for rid, version, fingerprint in rows}


def fingerprints(organization_id: int, record_ids: list[int], look: Look) -> dict[int, str]:
    """Record id → the fingerprint its PDF is cached under, from the same inputs as
    `RecordSnapshot.render_inputs` (a test holds the two together)."""
    template = render.template_hash()
    found: dict[int, str] = {}
    for start in range(0, len(record_ids), BATCH):
        batch = record_ids[start : start + BATCH]
        records = db.session.execute(
            select(Record.id, Record.version, Project.name, Project.code, Project.address,
                   Organization.name, Organization.logo_sha256, Organization.accent_colour,
                   Organization.report_footer)
            .join(Project, Project.id == Record.project_id)
            .join(Organization, Organization.id == Record.organization_id)
            .where(Record.id.in_(batch), Record.organization_id == organization_id)
        ).all()  # fmt: skip
        photos: dict[int, list[tuple[str, ...]]] = defaultdict(list)
        for record_id, *photo in db.session.execute(
            select(Attachment.record_id, Attachment.sha256, Attachment.caption,
                   Attachment.filename, Attachment.taken_at, Attachment.taken_by)
            .where(Attachment.record_id.in_(batch))
            .order_by(Attachment.id)
        ):  # fmt: skip
            photos[record_id].append(entries.photo_material(*photo))
        for record_id, version, name, code, address, organization, *brand in records:
            branding = Branding.from_columns(organization_id, *brand)
            material = entries.inputs(
                organization_id, record_id, version, photos[record_id], (name, code, address),
                organization, look, branding.render_inputs(),
                codes.verify_url(organization_id, record_id, version),
            )  # fmt: skip
            found[record_id] = entries.fingerprint(material, template)
    return found
