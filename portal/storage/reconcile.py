"""Storage reconcile: bring the bucket and the database back into agreement.

The database is the truth. A zip under `exports/` that no ready export points at is a leak
(a failed delete, a crashed attempt) and is deleted; a ready export with any of its zips (its
parts) gone would hand out a broken link, so it is failed with a reason; multipart uploads
abandoned for hours cost money while staying invisible in listings, so they are aborted (see
uploads.py, which the sweeper also runs every few minutes).

The order of the reads matters, because workers keep running meanwhile: ready rows are read
before the bucket is listed (a ready row's zip was stored before the row said so), and a
zip's owner is looked up after the listing and again just before deleting (an export that
is building, or became ready meanwhile, keeps its zip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.exports import endings, states
from portal.extensions import db
from portal.models import Export, ExportPart, ExportStatus, ReconcileRun
from portal.storage import cdn, keys, uploads
from portal.storage import client as s3


@dataclass(frozen=True)
class MissingZips:
    """A ready export and those of its parts whose zip is not in the bucket."""

    export: Export
    parts: list[ExportPart]


@dataclass
class Findings:
    stray_objects: list[str] = field(default_factory=list)
    missing: list[MissingZips] = field(default_factory=list)
    uploads: uploads.StaleUploads = field(default_factory=uploads.StaleUploads)

    @property
    def clean(self) -> bool:
        return not (self.stray_objects or self.missing or self.uploads.count)


def run(dry_run: bool = False, upload_age: timedelta | None = None) -> Findings:
    """Find the disagreements, fix them unless `dry_run`, and record the run's counts."""
    findings = survey(upload_age)
    if not dry_run:
        fix(findings)
    db.session.add(
        ReconcileRun(
            dry_run=dry_run,
            stray_objects=len(findings.stray_objects),
            missing_objects=len(findings.missing),
            stale_uploads=findings.uploads.count,
            note=findings.uploads.note,
        )
    )
    db.session.commit()
    return findings


def survey(upload_age: timedelta | None) -> Findings:
    ready = ready_exports()
    stored = [key for prefix in keys.ZIP_PREFIXES for key in s3.list_keys(prefix)]
    listed = set(stored)
    return Findings(
        stray_objects=unowned(stored),
        missing=missing_zips(ready, listed),
        uploads=uploads.survey(upload_age),
    )


def fix(findings: Findings) -> None:
    stray = unowned(findings.stray_objects)
    if stray:
        s3.delete_many(stray)
        cdn.invalidate(stray)
    findings.stray_objects = stray
    findings.missing = [
        m
        for m in findings.missing
        if endings.fail_missing_parts(m.export, [part.number for part in m.parts])
    ]
    uploads.remove(findings.uploads)


def missing_zips(ready: list[Export], listed: set[str]) -> list[MissingZips]:
    found = [MissingZips(e, [p for p in e.parts if p.object_key not in listed]) for e in ready]
    return [m for m in found if m.parts]


def ready_exports() -> list[Export]:
    """Completed and unexpired: the exports whose zips somebody may download right now."""
    return list(
        db.session.scalars(
            select(Export)
            .where(states.is_shown_as(ExportStatus.COMPLETED))
            .options(selectinload(Export.parts))
        )
    )


def unowned(stored: list[str]) -> list[str]:
    """The keys no ready export points at and no building export may still claim.

    Building first: an export that completes between the two reads is then in one of them."""
    building = set(
        db.session.scalars(select(Export.public_id).where(Export.status.in_(states.LIVE)))
    )
    ready = {key for export in ready_exports() for key in export.object_keys}
    return sorted(k for k in stored if k not in ready and keys.export_of(k) not in building)


def last_run() -> ReconcileRun | None:
    return db.session.scalar(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(1))
