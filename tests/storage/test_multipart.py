"""A stream into an S3 multipart upload: byte-identical when it completes, nothing left behind
when it fails, and a valid object even when empty. Against rclone, which checks signatures and
keeps parts on disk, and moto, whose listing of uploads is reliable."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from portal.storage import client as s3
from portal.storage.multipart import MultipartWriter, UploadAborted
from tests.helpers import listed_uploads

KEY = "exports/1/abc/attempt-1/Sitepack-P-2026-01-05-3-records.zip"
PART = 5 * s3.MiB  # S3's smallest part, so a small stream still spans several


class Boom(Exception):
    pass


def rclone_parts_files(root: Path) -> list[Path]:
    return list((root / s3.bucket()).rglob(".rclone_temp_multipart_*"))


def test_a_stream_of_three_parts_arrives_byte_identical_with_its_sha256(bucket):
    data = os.urandom(12 * s3.MiB + 12345)

    with MultipartWriter(KEY, "application/zip", 'attachment; filename="x.zip"', PART) as out:
        for start in range(0, len(data), 777_777):  # writes that straddle part boundaries
            out.write(data[start : start + 777_777])
        assert out.tell() == len(data)

    stored = s3.boto().get_object(Bucket=bucket, Key=KEY)
    assert stored["Body"].read() == data
    assert out.sha256 == hashlib.sha256(data).hexdigest()
    assert stored["ContentType"] == "application/zip"
    assert stored["ContentDisposition"] == 'attachment; filename="x.zip"'
    assert stored["ServerSideEncryption"] == "AES256"
    assert not hasattr(out, "seek")  # so zipfile writes forward only


def test_an_empty_stream_makes_a_valid_empty_object(bucket):
    with MultipartWriter(KEY, "application/zip") as out:
        pass

    assert s3.get_bytes(KEY) == b""
    assert out.sha256 == hashlib.sha256(b"").hexdigest()


def test_an_exception_mid_stream_leaves_no_object_and_no_upload(bucket, s3_endpoint):
    with pytest.raises(Boom), MultipartWriter(KEY, "application/zip", part_size=PART) as out:
        out.write(os.urandom(PART + 1))  # one part sent, one byte waiting
        assert listed_uploads() == [KEY]
        raise Boom

    assert not s3.exists(KEY)
    assert listed_uploads() == []
    assert rclone_parts_files(s3_endpoint.root) == []


def test_an_exception_mid_stream_leaves_no_upload_listed_on_moto(moto_app):
    s3.ensure_bucket()
    with pytest.raises(Boom), MultipartWriter(KEY, "application/zip", part_size=PART) as out:
        out.write(os.urandom(2 * PART + 1))
        raise Boom

    assert not s3.exists(KEY)
    assert s3.boto().list_multipart_uploads(Bucket=s3.bucket()).get("Uploads", []) == []


def test_a_part_that_fails_aborts_the_upload_and_later_writes_say_why(bucket, s3_endpoint):
    out = MultipartWriter(KEY, "application/zip", part_size=PART)
    out.write(b"x" * 10)
    s3.boto().abort_multipart_upload(Bucket=bucket, Key=KEY, UploadId=out.upload_id)

    with pytest.raises(ClientError):
        out.write(b"y" * PART)  # the part is sent to an upload that no longer exists
    with pytest.raises(UploadAborted, match="NoSuchUpload"):
        out.write(b"z")
    with pytest.raises(UploadAborted):
        out.close()  # never a silent success
    assert not s3.exists(KEY)
    assert listed_uploads() == []
    assert rclone_parts_files(s3_endpoint.root) == []


def test_a_part_smaller_than_s3_allows_is_refused(bucket):
    with pytest.raises(ValueError, match="at least"):
        MultipartWriter(KEY, "application/zip", part_size=PART - 1)
