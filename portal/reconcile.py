"""Storage reconcile: bring the bucket and the database back into agreement.

The database is the truth. A zip under `exports/` that no ready export points at is a leak
(a failed delete, a crashed attempt) and is deleted; a ready export whose zip is gone would
hand out a broken link, so it is failed with a reason; multipart uploads abandoned for hours
cost money while staying invisible in listings, so they are aborted, and on the laptop's
rclone endpoint the part files of uploads it forgot (at a restart) are deleted from disk.
The sweeper runs the upload part of this (survey_uploads, remove_uploads) every few minutes.

The order of the reads matters, because workers keep running meanwhile: ready rows are read
before the bucket is listed (a ready row's zip was stored before the row said so), and a
zip's owner is looked up after the listing and again just before deleting (an export that
is building, or became ready meanwhile, keeps its zip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from sqlalchemy import select

from portal import cdn, storage
from portal.exports import service, states
from portal.extensions import db
from portal.models import Export, ExportStatus, ReconcileRun

PREFIX = "exports/"
# No export job runs this long, so such an upload has no one to finish it.
STALE_UPLOAD_AGE = timedelta(hours=6)


@dataclass
class Findings:
    stray_objects: list[str] = field(default_factory=list)
    missing: list[Export] = field(default_factory=list)
    stale_uploads: list[tuple[str, str]] = field(default_factory=list)
    # Uploads a local rclone endpoint forgot: no longer listed, their parts still on disk.
    forgotten_uploads: list[storage.PartsFile] = field(default_factory=list)
    # Why a check could not be made, for the report; empty when every check ran.
    note: str = ""

    @property
    def clean(self) -> bool:
        return not (self.stray_objects or self.missing or self.uploads_count)

    @property
    def uploads_count(self) -> int:
        return len(self.stale_uploads) + len(self.forgotten_uploads)


def run(dry_run: bool = False, upload_age: timedelta = STALE_UPLOAD_AGE) -> Findings:
    """Find the disagreements, fix them unless `dry_run`, and record the run's counts."""
    findings = survey(upload_age)
    if not dry_run:
        fix(findings)
    db.session.add(
        ReconcileRun(
            dry_run=dry_run,
            stray_objects=len(findings.stray_objects),
            missing_objects=len(findings.missing),
            stale_uploads=findings.uploads_count,
            note=findings.note,
        )
    )
    db.session.commit()
    return findings


def survey(upload_age: timedelta) -> Findings:
    ready = ready_exports()
    stored = storage.list_keys(PREFIX)
    listed = set(stored)
    findings = survey_uploads(upload_age)
    findings.stray_objects = unowned(stored)
    findings.missing = [export for export in ready if export.object_key not in listed]
    return findings


def fix(findings: Findings) -> None:
    stray = unowned(findings.stray_objects)
    if stray:
        storage.delete_many(stray)
        cdn.invalidate(stray)
    findings.stray_objects = stray
    findings.missing = [e for e in findings.missing if service.fail_missing_zip(e)]
    remove_uploads(findings)


def ready_exports() -> list[Export]:
    """Completed and unexpired: the exports whose zip somebody may download right now."""
    return list(
        db.session.scalars(select(Export).where(states.is_shown_as(ExportStatus.COMPLETED)))
    )


def unowned(keys: list[str]) -> list[str]:
    """The keys no ready export points at and no building export may still claim.

    Building first: an export that completes between the two reads is then in one of them."""
    building = set(
        db.session.scalars(select(Export.public_id).where(Export.status.in_(states.LIVE)))
    )
    ready = {export.object_key for export in ready_exports()}
    return sorted(k for k in keys if k not in ready and owner_of(k) not in building)


def owner_of(key: str) -> str | None:
    """The export public id in `exports/<organisation>/<public id>/attempt-<n>/<file>`."""
    parts = key.split("/")
    return parts[2] if len(parts) > 3 else None


def survey_uploads(age: timedelta = STALE_UPLOAD_AGE) -> Findings:
    """Uploads started (on disk: last written to) longer than `age` ago. A part file whose
    upload the endpoint still lists is left to that upload's abort, which deletes it."""
    cutoff = datetime.now(UTC) - age
    uploads, note = listed_uploads(cutoff)
    aborting = {upload_id for _, upload_id in uploads}
    files = [f for f in storage.local_parts_files(PREFIX, cutoff) if f.upload_id not in aborting]
    if files:
        mib = sum(f.size for f in files) / storage.MiB
        left = f"{len(files)} uploads the local endpoint forgot left {mib:.1f} MiB of parts"
        note = f"{note}; {left}" if note else left
    return Findings(stale_uploads=uploads, forgotten_uploads=files, note=note)


def listed_uploads(cutoff: datetime) -> tuple[list[tuple[str, str]], str]:
    """Endpoints without the multipart-listing API (rclone's `serve s3` once it has none in
    memory) are noted, not treated as a failure: the other checks still ran."""
    try:
        return storage.stale_multipart_uploads(PREFIX, cutoff), ""
    except (BotoCoreError, ClientError) as exc:
        checked = "checked on disk only" if current_app.config["S3_LOCAL_ROOT"] else "not checked"
        return [], f"multipart uploads {checked}: the endpoint refused to list them ({exc})"


def remove_uploads(findings: Findings) -> None:
    """Abort the listed uploads and delete the forgotten ones' files; keep only what went."""
    findings.stale_uploads = [u for u in findings.stale_uploads if abort_upload(*u)]
    for parts in findings.forgotten_uploads:
        storage.delete_parts_file(parts)


def abort_upload(key: str, upload_id: str) -> bool:
    """False when the upload finished or was aborted by someone else meanwhile."""
    try:
        storage.abort_multipart_upload(key, upload_id)
    except ClientError as exc:
        current_app.logger.warning("could not abort upload %s of %s: %s", upload_id, key, exc)
        return False
    return True


def last_run() -> ReconcileRun | None:
    return db.session.scalar(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(1))
