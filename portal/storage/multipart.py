"""A write-only stream into one S3 multipart upload: an export's zip goes to the bucket as it
is written, with no file on the worker's disk and one part in memory.

`write()` fills a part-sized buffer and sends each part as it fills, from the calling thread.
Sending one part from a thread while the next filled was measured against this on loopback
rclone (bench/zipstream_bench.py, four runs of 512 MB on a busy 2-core machine): the same CPU,
no steady gain in MB/s, +32 MB RSS. An export's zip grows at the render pool's pace anyway,
far below what one upload carries. The size and SHA-256 of the whole object are counted on the
way through, so nothing re-reads it.

The stream has `tell()` but no `seek()`: `zipfile` sees that and writes each entry's sizes
after its data instead of going back for them.

Any exception inside the `with`, or a part or the completion failing, aborts the upload and
re-raises: no half-written upload is left behind. One killed with its process (SIGKILL, a
lost machine) is aborted by `storage.uploads` and the bucket's lifecycle rule.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from portal.storage import client as s3

PART_SIZE = 16 * s3.MiB  # 10,000 of them make 156 GiB, S3's limit per upload
MIN_PART_SIZE = 5 * s3.MiB  # S3's smallest part, except the last
MAX_PARTS = 10_000  # S3's limit per upload: 156 GiB at 16 MiB


class UploadAborted(RuntimeError):
    """The upload was aborted after an error; the message repeats that first error."""


class MultipartWriter:
    """`with MultipartWriter(key, "application/zip") as out: out.write(...)`; completes on
    leaving the `with` (or `close()`), aborts on an exception."""

    def __init__(
        self,
        key: str,
        content_type: str,
        disposition: str | None = None,
        part_size: int = PART_SIZE,
    ):
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.key, self.part_size = key, part_size
        self._api, self._bucket = s3.boto(), s3.bucket()
        # Encrypted at rest by request, not only by the bucket default (which `ensure` also sets).
        extra = {"ContentType": content_type, "ServerSideEncryption": "AES256"}
        if disposition:
            extra["ContentDisposition"] = disposition
        answer = self._api.create_multipart_upload(Bucket=self._bucket, Key=key, **extra)
        self.upload_id: str = answer["UploadId"]
        # One part's buffer: it grows as the first part fills (a small zip never holds more
        # than its size), then each later part overwrites it in place.
        self._buffer = bytearray()
        self._filled = 0
        self._etags: list[str] = []
        self._sha = hashlib.sha256()
        self._size = 0
        self._failure: str | None = None
        self.closed = False

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort(f"{exc_type.__name__}: {exc}")

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        """Bytes written so far: what `zipfile` records as each entry's offset."""
        return self._size

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of everything written so far (of the whole object once closed)."""
        return self._sha.hexdigest()

    def write(self, data) -> int:
        self._check_open()
        view = memoryview(data).cast("B")
        taken = 0
        while taken < len(view):
            step = min(self.part_size - self._filled, len(view) - taken)
            # Past the buffer's end this appends; within it, it overwrites in place.
            self._buffer[self._filled : self._filled + step] = view[taken : taken + step]
            self._filled += step
            taken += step
            if self._filled == self.part_size:
                self._send(self._buffer)
                self._filled = 0
        self._sha.update(view)
        self._size += len(view)
        return len(view)

    def flush(self) -> None:
        """Nothing to do: parts go when full, the last one at close. (`zipfile` calls it.)"""

    def close(self) -> None:
        """Sends the last part (an empty one when nothing was written: S3 needs at least one)
        and completes the upload; aborts and re-raises if either fails."""
        if self.closed and self._failure is None:
            return
        self._check_open()  # after an abort: UploadAborted, so a lost object is never silent
        if self._filled or not self._etags:
            whole = self._filled == len(self._buffer)
            self._send(self._buffer if whole else self._buffer[: self._filled])
            self._filled = 0
        try:
            parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(self._etags, 1)]
            self._api.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException as exc:
            self.abort(f"{type(exc).__name__}: {exc}")
            raise
        self.closed = True

    def abort(self, reason: str = "aborted by the caller") -> None:
        """Drops the upload and every part sent; later writes raise UploadAborted. A failed
        abort is logged, not raised: the error that caused it is the one to report."""
        if self.closed:
            return
        self._failure = reason
        self._buffer, self._filled = bytearray(), 0
        self.closed = True
        try:
            self._api.abort_multipart_upload(
                Bucket=self._bucket, Key=self.key, UploadId=self.upload_id
            )
        except Exception:  # noqa: BLE001 - storage.uploads and the lifecycle rule catch it
            current_app.logger.warning("could not abort upload of %s", self.key, exc_info=True)

    def _send(self, part: bytearray) -> None:
        """Uploads `part` as the next part; aborts the upload and re-raises if that fails.
        The call returns once the part is sent, so its buffer is free to fill again."""
        try:
            if len(self._etags) >= MAX_PARTS:
                raise ValueError(f"more than {MAX_PARTS} parts: raise part_size")
            answer = self._api.upload_part(
                Bucket=self._bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=len(self._etags) + 1,
                Body=part,
            )
        except BaseException as exc:
            self.abort(f"{type(exc).__name__}: {exc}")
            raise
        self._etags.append(answer["ETag"])

    def _check_open(self) -> None:
        if self._failure is not None:
            raise UploadAborted(f"upload of {self.key} was aborted: {self._failure}")
        if self.closed:
            raise ValueError("write to a closed MultipartWriter")
