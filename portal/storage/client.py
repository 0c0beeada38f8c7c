"""S3: the only module that talks to the bucket.

One bucket holds photos under `attachments/` and export zips under `exports/`. Presigned URLs
are SigV4 (boto3 falls back to SigV2 against custom endpoints otherwise) and short-lived.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import boto3
import obstore
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import current_app
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

MISSING = ("404", "NoSuchKey", "NotFound")  # what S3 (and rclone, moto) answer for no object
MiB = 1024 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # S3's limit; botocore would sign longer ones regardless


@dataclass(frozen=True)
class Settings:
    """What a process needs to reach the bucket without an app: plain values that can be
    handed to processes of our own (render workers build their own client from them)."""

    endpoint_url: str | None
    region: str
    access_key_id: str | None
    secret_access_key: str | None = field(repr=False)
    bucket: str


def settings(config: Mapping) -> Settings:
    return Settings(
        endpoint_url=config["S3_ENDPOINT_URL"],
        region=config["AWS_REGION"],
        access_key_id=config["AWS_ACCESS_KEY_ID"] or None,
        secret_access_key=config["AWS_SECRET_ACCESS_KEY"] or None,
        bucket=config["S3_BUCKET"],
    )


def standalone(where: Settings):
    """A new boto3 client. A process makes its own: a client must not cross a fork."""
    return boto3.client(
        "s3",
        endpoint_url=where.endpoint_url,
        region_name=where.region,
        aws_access_key_id=where.access_key_id,
        aws_secret_access_key=where.secret_access_key,
        config=s3_config(where.endpoint_url),
    )


class ObjectMissing(LookupError):
    """No object under that key."""


def is_missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in MISSING


class Bucket:
    """The bucket through a client of its own, no app needed: one per render process, which
    reads a record's photos and stores the PDF it made."""

    def __init__(self, where: Settings):
        self._client, self._bucket = standalone(where), where.bucket

    def get_bytes(self, key: str) -> bytes:
        return _read(self._client, self._bucket, key)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        _put(self._client, self._bucket, key, data, content_type)


def _put(client, bucket_name: str, key: str, data: bytes, content_type: str) -> None:
    client.put_object(Bucket=bucket_name, Key=key, Body=data, ContentType=content_type)


def _read(client, bucket_name: str, key: str) -> bytes:
    """Raises ObjectMissing when there is no such object; other storage errors as boto3's."""
    try:
        return client.get_object(Bucket=bucket_name, Key=key)["Body"].read()
    except ClientError as exc:
        if is_missing(exc):
            raise ObjectMissing(key) from exc
        raise


class Reader:
    """Whole-object GETs through obstore (Rust's object_store), for the hot path of a warm
    export: one cached PDF per record. Measured side by side on loopback rclone
    (bench/warm_bench.py, 2,000 GETs of 0.3 MB, 8 at once): boto3 0.95 ms of CPU a GET,
    awscrt's S3 client 0.36, obstore 0.29 — boto3's event machinery, signing and parsing
    in Python cost more than the bytes. A GET releases the GIL while it waits and copies,
    so reader threads run in parallel with the zip writer. Thread-safe; plain values in,
    no app needed; never shared across a fork (its runtime's threads stay behind)."""

    def __init__(self, where: Settings):
        self.pid = os.getpid()
        local = where.endpoint_url is not None and where.endpoint_url.startswith("http://")
        given = {"endpoint": where.endpoint_url, "access_key_id": where.access_key_id,
                 "secret_access_key": where.secret_access_key}  # fmt: skip
        self._store = S3Store(
            where.bucket,
            region=where.region,
            # Unset ones are left to obstore's own chain (the environment, an instance role).
            **{name: value for name, value in given.items() if value is not None},
            virtual_hosted_style_request=where.endpoint_url is None,
            client_options={"allow_http": local, "connect_timeout": "5s", "timeout": "60s"},
            # As boto3's client here: three tries in all, then the error is the job's.
            retry_config={"max_retries": 2, "retry_timeout": timedelta(seconds=60)},
        )

    def get(self, key: str) -> memoryview:
        """The object's bytes, without a copy; raises ObjectMissing when there is none."""
        try:
            return memoryview(obstore.get(self._store, key).bytes())
        except (NotFoundError, FileNotFoundError) as exc:  # obstore raises the latter for a 404
            raise ObjectMissing(key) from exc


def reader() -> Reader:
    """The app's Reader in this process, made on first use (a work-horse makes its own)."""
    extensions = current_app.extensions
    if extensions.get("s3-reader") is None or extensions["s3-reader"].pid != os.getpid():
        extensions["s3-reader"] = Reader(settings(current_app.config))
    return extensions["s3-reader"]


def boto():
    """The app's client, made on first use (boto3 clients are thread-safe)."""
    extensions = current_app.extensions
    if "s3" not in extensions:
        extensions["s3"] = standalone(settings(current_app.config))
    return extensions["s3"]


def s3_config(endpoint: str | None) -> Config:
    """SigV4 everywhere (boto3 signs SigV2 for custom endpoints otherwise); path-style for
    local endpoints; checksums only where required, which rclone's ranged GETs need.

    Bodies are not hashed into the signature (UNSIGNED-PAYLOAD): that was a full SHA-256 pass
    over every byte sent, about a sixth of a warm export's CPU, and it protects nothing that
    TLS does not. What matters of an object's bytes is checked end to end instead: every
    cached PDF against its recorded sha256 when read, every zip's sha256 counted as it is
    written and shown to whoever downloads it."""
    addressing = {"addressing_style": "path"} if endpoint else {}
    return Config(
        signature_version="s3v4",
        s3={**addressing, "payload_signing_enabled": False},
        retries={"max_attempts": 3, "mode": "standard"},
        response_checksum_validation="when_required",
        request_checksum_calculation="when_required",
        connect_timeout=5,
        read_timeout=60,
    )


def bucket() -> str:
    return current_app.config["S3_BUCKET"]


def put_bytes(key: str, data: bytes, content_type: str) -> None:
    _put(boto(), bucket(), key, data, content_type)


def get_bytes(key: str) -> bytes:
    return _read(boto(), bucket(), key)


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
        if is_missing(exc):
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
