"""S3: the only module that talks to the bucket.

One bucket holds photos under `attachments/` and export zips under `exports/`. Presigned URLs
are SigV4 (boto3 falls back to SigV2 against custom endpoints otherwise) and short-lived.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from stat import S_ISREG

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import current_app

from portal import aws

MiB = 1024 * 1024
# rclone `serve s3` keeps a multipart upload's parts in this file beside the key until the
# upload completes or is aborted; a restart forgets the upload but leaves the file.
RCLONE_PARTS_PREFIX = ".rclone_temp_multipart_"
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # S3's limit; botocore would sign longer ones regardless
TRANSFER = TransferConfig(
    multipart_threshold=16 * MiB, multipart_chunksize=16 * MiB, max_concurrency=4, use_threads=True
)


def client():
    endpoint = current_app.config["S3_ENDPOINT_URL"]
    return aws.client("s3", endpoint, lambda: s3_config(endpoint))


def s3_config(endpoint: str | None) -> Config:
    """SigV4 everywhere (boto3 signs SigV2 for custom endpoints otherwise); path-style for
    local endpoints; checksums only where required, which rclone's ranged GETs need."""
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"} if endpoint else {},
        retries={"max_attempts": 3, "mode": "standard"},
        response_checksum_validation="when_required",
        request_checksum_calculation="when_required",
        connect_timeout=5,
        read_timeout=60,
    )


def bucket() -> str:
    return current_app.config["S3_BUCKET"]


def put_bytes(key: str, data: bytes, content_type: str) -> None:
    client().put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type)


def get_bytes(key: str) -> bytes:
    return client().get_object(Bucket=bucket(), Key=key)["Body"].read()


def upload_file(path: Path, key: str, content_type: str, disposition: str | None = None) -> None:
    """Multipart upload from disk in 16 MiB parts; boto3 aborts the upload if a part fails.
    Encrypted at rest by request, not only by the bucket default (which `ensure` also sets)."""
    extra = {"ContentType": content_type, "ServerSideEncryption": "AES256"}
    if disposition:
        extra["ContentDisposition"] = disposition
    client().upload_file(str(path), bucket(), key, ExtraArgs=extra, Config=TRANSFER)


def presigned_get(key: str, seconds: int = 60, disposition: str | None = None) -> str:
    params = {"Bucket": bucket(), "Key": key}
    if disposition:
        params["ResponseContentDisposition"] = disposition
    return client().generate_presigned_url(
        "get_object", Params=params, ExpiresIn=min(seconds, MAX_PRESIGN_SECONDS)
    )


def delete(key: str) -> None:
    client().delete_object(Bucket=bucket(), Key=key)


def exists(key: str) -> bool:
    try:
        client().head_object(Bucket=bucket(), Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def ensure_bucket() -> bool:
    """Create the bucket if it is missing; True when it was created."""
    try:
        client().head_bucket(Bucket=bucket())
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
    client().create_bucket(Bucket=bucket())
    return True


def bucket_exists() -> bool:
    try:
        client().head_bucket(Bucket=bucket())
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def download_file(key: str, path: Path) -> None:
    client().download_file(bucket(), key, str(path), Config=TRANSFER)


def stale_multipart_uploads(prefix: str, initiated_before) -> list[tuple[str, str]]:
    """(key, upload id) of incomplete multipart uploads under prefix started before the cutoff."""
    found = []
    paginator = client().get_paginator("list_multipart_uploads")
    for page in paginator.paginate(Bucket=bucket(), Prefix=prefix):
        for upload in page.get("Uploads", []):
            if upload["Initiated"] < initiated_before:
                found.append((upload["Key"], upload["UploadId"]))
    return found


def abort_multipart_upload(key: str, upload_id: str) -> None:
    client().abort_multipart_upload(Bucket=bucket(), Key=key, UploadId=upload_id)


def delete_many(keys: list[str]) -> None:
    """Delete in batches of 1,000 keys, S3's limit for one DeleteObjects request."""
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        answer = client().delete_objects(Bucket=bucket(), Delete={"Objects": batch, "Quiet": True})
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise RuntimeError(f"S3 kept {len(answer['Errors'])} objects, e.g. {first}")


def list_keys(prefix: str) -> list[str]:
    """Every key under prefix, across all pages of the listing."""
    paginator = client().get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket(), Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@dataclass(frozen=True)
class PartsFile:
    """One upload's parts as a local rclone endpoint keeps them: a file in the key's folder."""

    path: Path
    upload_id: str
    size: int


def local_parts_files(prefix: str, modified_before: datetime) -> list[PartsFile]:
    """Part files under `prefix` that nothing wrote to since the cutoff, found on disk because
    rclone lists no upload it forgot. Only when S3_LOCAL_ROOT names the folder of a local
    rclone endpoint, and only its `.rclone_temp_multipart_*` files there: [] otherwise."""
    root = current_app.config["S3_LOCAL_ROOT"]
    if not root:
        return []
    found = []
    for folder, _subfolders, names in os.walk(Path(root) / bucket() / prefix):  # no symlinks
        for name in filter(lambda n: n.startswith(RCLONE_PARTS_PREFIX), names):
            path = Path(folder) / name
            try:
                info = path.lstat()
            except FileNotFoundError:  # the upload completed or was aborted meanwhile
                continue
            if S_ISREG(info.st_mode) and info.st_mtime < modified_before.timestamp():
                found.append(PartsFile(path, name[len(RCLONE_PARTS_PREFIX) :], info.st_size))
    return sorted(found, key=lambda parts: parts.path)


def delete_parts_file(parts: PartsFile) -> None:
    parts.path.unlink(missing_ok=True)
