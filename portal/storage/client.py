"""S3: the only module that talks to the bucket.

One bucket holds photos under `attachments/` and export zips under `exports/`. Presigned URLs
are SigV4 (boto3 falls back to SigV2 against custom endpoints otherwise) and short-lived.
"""

from __future__ import annotations

from pathlib import Path

from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import current_app

from portal import aws

MiB = 1024 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # S3's limit; botocore would sign longer ones regardless
TRANSFER = TransferConfig(
    multipart_threshold=16 * MiB, multipart_chunksize=16 * MiB, max_concurrency=4, use_threads=True
)


def boto():
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
    boto().put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type)


def get_bytes(key: str) -> bytes:
    return boto().get_object(Bucket=bucket(), Key=key)["Body"].read()


def upload_file(path: Path, key: str, content_type: str, disposition: str | None = None) -> None:
    """Multipart upload from disk in 16 MiB parts; boto3 aborts the upload if a part fails.
    Encrypted at rest by request, not only by the bucket default (which `ensure` also sets)."""
    extra = {"ContentType": content_type, "ServerSideEncryption": "AES256"}
    if disposition:
        extra["ContentDisposition"] = disposition
    boto().upload_file(str(path), bucket(), key, ExtraArgs=extra, Config=TRANSFER)


def presigned_get(key: str, seconds: int = 60, disposition: str | None = None) -> str:
    params = {"Bucket": bucket(), "Key": key}
    if disposition:
        params["ResponseContentDisposition"] = disposition
    return boto().generate_presigned_url(
        "get_object", Params=params, ExpiresIn=min(seconds, MAX_PRESIGN_SECONDS)
    )


def delete(key: str) -> None:
    boto().delete_object(Bucket=bucket(), Key=key)


def exists(key: str) -> bool:
    try:
        boto().head_object(Bucket=bucket(), Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def ensure_bucket() -> bool:
    """Create the bucket if it is missing; True when it was created."""
    try:
        boto().head_bucket(Bucket=bucket())
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
    boto().create_bucket(Bucket=bucket())
    return True


def bucket_exists() -> bool:
    try:
        boto().head_bucket(Bucket=bucket())
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise
    return True


def download_file(key: str, path: Path) -> None:
    boto().download_file(bucket(), key, str(path), Config=TRANSFER)


def delete_many(keys: list[str]) -> None:
    """Delete in batches of 1,000 keys, S3's limit for one DeleteObjects request."""
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        answer = boto().delete_objects(Bucket=bucket(), Delete={"Objects": batch, "Quiet": True})
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise RuntimeError(f"S3 kept {len(answer['Errors'])} objects, e.g. {first}")


def list_keys(prefix: str) -> list[str]:
    """Every key under prefix, across all pages of the listing."""
    paginator = boto().get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket(), Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]
