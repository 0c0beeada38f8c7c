"""Abandoned multipart uploads: found, aborted, and on the laptop's rclone, deleted from disk.

An incomplete multipart upload is invisible in listings yet billed (on the laptop's rclone,
it fills the disk) until someone aborts it. The bucket's lifecycle rule aborts them after a
day; the sweeper and `flask storage reconcile` both call `tidy`/`survey` here to do it
sooner, with one age: an upload older than the longest an export job may run has no one
left to finish it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from stat import S_ISREG

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app

from portal.storage import client as s3
from portal.storage import keys

# rclone `serve s3` keeps a multipart upload's parts in this file beside the key until the
# upload completes or is aborted; a restart forgets the upload but leaves the file.
RCLONE_PARTS_PREFIX = ".rclone_temp_multipart_"


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
    """Uploads started (on disk: last written to) longer than `age` ago. A part file whose
    upload the endpoint still lists is left to that upload's abort, which deletes it."""
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


def listed_before(prefix: str, initiated_before: datetime) -> list[tuple[str, str]]:
    """(key, upload id) of incomplete multipart uploads under prefix started before the cutoff."""
    found = []
    paginator = s3.boto().get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=s3.bucket(), Prefix=prefix):
        for upload in page.get("Uploads", []):
            if upload["Initiated"] < initiated_before:
                found.append((upload["Key"], upload["UploadId"]))
    return found


def _listed(cutoff: datetime) -> tuple[list[tuple[str, str]], str]:
    """Endpoints without the multipart-listing API (rclone's `serve s3` once it has none in
    memory) are noted, not treated as a failure: the other checks still ran."""
    try:
        return [u for prefix in keys.ZIP_PREFIXES for u in listed_before(prefix, cutoff)], ""
    except (BotoCoreError, ClientError) as exc:
        checked = "checked on disk only" if current_app.config["S3_LOCAL_ROOT"] else "not checked"
        return [], f"multipart uploads {checked}: the endpoint refused to list them ({exc})"


def _abort(key: str, upload_id: str) -> bool:
    """False when the upload finished or was aborted by someone else meanwhile."""
    try:
        s3.boto().abort_multipart_upload(Bucket=s3.bucket(), Key=key, UploadId=upload_id)
    except ClientError as exc:
        current_app.logger.warning("could not abort upload %s of %s: %s", upload_id, key, exc)
        return False
    return True


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
