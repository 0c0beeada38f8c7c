"""Step 3: the finished zip goes to S3 in 16 MiB parts, under a key unique to this attempt."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from urllib.parse import quote

from portal.exports.attempts import Attempt
from portal.models import Export
from portal.storage import client as s3
from portal.storage import keys

CHUNK = 1024 * 1024


def object_key(export: Export, attempt: Attempt, filename: str) -> str:
    return keys.export_zip(export.organization_id, export.public_id, attempt.number, filename)


def download_name(export: Export, today: date) -> str:
    code = "".join(ch for ch in export.project.code if ch.isalnum()) or "project"
    return f"Sitepack-{code}-{today.isoformat()}-{export.total}-records.zip"


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact UTF-8 name."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def upload(path: Path, key: str, filename: str) -> None:
    s3.upload_file(path, key, "application/zip", content_disposition(filename))
