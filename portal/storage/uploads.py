"""Abandoned multipart uploads: found, aborted, and on the laptop's rclone, deleted from disk.

An incomplete multipart upload is invisible in listings yet billed (on the laptop's rclone,
it fills the disk) until someone aborts it. The bucket's lifecycle rule aborts them after a
day; the sweeper and `flask storage reconcile` both call `tidy`/`survey` here to do it
sooner, with one rule: an upload has no one left to finish it when no processing export's
current attempt wrote it (its key names the attempt), or when it is older than the longest
an export job may run. (Exports' own earlier attempts are also aborted at once, by the
attempt that takes over: portal/exports/leftovers.py.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from stat import S_ISREG

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import Export, ExportStatus
from portal.storage import client as s3
from portal.storage import keys

# rclone `serve s3` keeps a multipart upload's parts in this file beside the key until the
# upload completes or is aborted; a restart forgets the upload but leaves the file.
RCLONE_PARTS_PREFIX = ".rclone_temp_multipart_"
NO_SUCH_UPLOAD = "NoSuchUpload"


@dataclass(frozen=True)
class PartsFile:
    """One upload's parts as a local rclone endpoint keeps them: a file in the key's folder."""

    path: Path
    upload_id: str
    size: int


@dataclass
class StaleUploads:
    listed: list[tuple[str, str]] = field(default_factory=list)  # (key, upload id)
    # Uploads a local rclone endpoint forgot: no longer listed, their parts still on disk.
    forgotten: list[PartsFile] = field(default_factory=list)
    # Why a check could not be made, for the report; empty when every check ran.
    note: str = ""

    @property
    def count(self) -> int:
        return len(self.listed) + len(self.forgotten)


def stale_age() -> timedelta:
    """No export job runs longer than its timeout, so an older upload is abandoned."""
    return timedelta(seconds=current_app.config["EXPORT_JOB_TIMEOUT"])


def tidy() -> StaleUploads:
    """Survey and remove in one go: what the sweeper runs every few minutes."""
    found = survey()
    if found.note:
        current_app.logger.warning("stale uploads: %s", found.note)
    return remove(found)


def survey(age: timedelta | None = None) -> StaleUploads:
    """Uploads no running attempt owns, or started (on disk: last written to) longer than
    `age` ago. A part file whose upload the endpoint still lists is left to that upload's
    abort, which deletes it."""
    cutoff = datetime.now(UTC) - (stale_age() if age is None else age)
    listed, note = _listed(cutoff)
    aborting = {upload_id for _, upload_id in listed}
    files = [
        f
        for prefix in keys.ZIP_PREFIXES
        for f in local_parts_files(prefix, cutoff)
        if f.upload_id not in aborting
    ]
    if files:
        mib = sum(f.size for f in files) / s3.MiB
        left = f"{len(files)} uploads the local endpoint forgot left {mib:.1f} MiB of parts"
        note = f"{note}; {left}" if note else left
    return StaleUploads(listed, files, note)


def remove(found: StaleUploads) -> StaleUploads:
    """Abort the listed uploads and delete the forgotten ones' files; keep only what went."""
    found.listed = [upload for upload in found.listed if _abort(*upload)]
    for parts in found.forgotten:
        parts.path.unlink(missing_ok=True)
    return found


def _uploads(prefix: str) -> Iterator[tuple[str, str, datetime]]:
    """(key, upload id, initiated) of every incomplete multipart upload under prefix."""
    paginator = s3.boto().get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=s3.bucket(), Prefix=prefix):
        for upload in page.get("Uploads", []):
            yield upload["Key"], upload["UploadId"], upload["Initiated"]


def unowned(listed: set[str]) -> set[str]:
    """The zip keys among `listed` that no processing export's current attempt is writing.
    Read after the listing: an attempt is processing before it starts its upload."""
    exports = {keys.export_of(key) for key in listed} - {None}
    rows = db.session.execute(
        select(Export.public_id, Export.attempt).where(
            Export.public_id.in_(exports), Export.status == ExportStatus.PROCESSING
        )
    )
    running = {(public_id, attempt) for public_id, attempt in rows}
    return {
        key
        for key in listed
        if keys.attempt_of(key) is not None
        and (keys.export_of(key), keys.attempt_of(key)) not in running
    }


def abort_attempts_before(export_folder: str, attempt: int) -> int:
    """Abort every incomplete upload of the export's attempts numbered below `attempt`: they
    are fenced off, so none of them may finish its zip. `export_folder` is the export's own
    (keys.zip_folder), so only its uploads are listed, never every tenant's. Returns how many
    were aborted; a storage error is raised, for the caller to try again later."""
    aborted = 0
    for key, upload_id in _listed_now(export_folder):
        written_by = keys.attempt_of(key)
        if written_by and written_by < attempt:
            aborted += _abort_or_raise(key, upload_id)
    return aborted


def _listed_now(prefix: str) -> list[tuple[str, str]]:
    """rclone's `serve s3` answers NoSuchUpload when it holds no upload at all."""
    try:
        return [(key, upload_id) for key, upload_id, _ in _uploads(prefix)]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == NO_SUCH_UPLOAD:
            return []
        raise


def _abort_or_raise(key: str, upload_id: str) -> bool:
    """False when the upload finished or was aborted meanwhile; any other error is raised."""
    try:
        s3.boto().abort_multipart_upload(Bucket=s3.bucket(), Key=key, UploadId=upload_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == NO_SUCH_UPLOAD:
            return False
        raise
    return True


def _listed(cutoff: datetime) -> tuple[list[tuple[str, str]], str]:
    """Endpoints without the multipart-listing API (rclone's `serve s3` once it has none in
    memory) are noted, not treated as a failure: the other checks still ran."""
    try:
        found = [upload for prefix in keys.ZIP_PREFIXES for upload in _uploads(prefix)]
        abandoned = unowned({key for key, _, _ in found})
        return [(key, upload) for key, upload, when in found
                if when < cutoff or key in abandoned], ""  # fmt: skip
    except (BotoCoreError, ClientError) as exc:
        checked = "checked on disk only" if current_app.config["S3_LOCAL_ROOT"] else "not checked"
        return [], f"multipart uploads {checked}: the endpoint refused to list them ({exc})"


def _abort(key: str, upload_id: str) -> bool:
    """False when the upload finished or was aborted by someone else meanwhile."""
    try:
        return _abort_or_raise(key, upload_id)
    except ClientError as exc:
        current_app.logger.warning("could not abort upload %s of %s: %s", upload_id, key, exc)
        return False


def local_parts_files(prefix: str, modified_before: datetime) -> list[PartsFile]:
    """Part files under `prefix` that nothing wrote to since the cutoff, found on disk because
    rclone lists no upload it forgot. Only when S3_LOCAL_ROOT names the folder of a local
    rclone endpoint, and only its `.rclone_temp_multipart_*` files there: [] otherwise."""
    root = current_app.config["S3_LOCAL_ROOT"]
    if not root:
        return []
    found = []
    for folder, _subfolders, names in os.walk(Path(root) / s3.bucket() / prefix):  # no symlinks
        for name in filter(lambda n: n.startswith(RCLONE_PARTS_PREFIX), names):
            path = Path(folder) / name
            try:
                info = path.lstat()
            except FileNotFoundError:  # the upload completed or was aborted meanwhile
                continue
            if S_ISREG(info.st_mode) and info.st_mtime < modified_before.timestamp():
                found.append(PartsFile(path, name[len(RCLONE_PARTS_PREFIX) :], info.st_size))
    return sorted(found, key=lambda parts: parts.path)
