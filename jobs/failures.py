"""What a failed attempt leaves on the row: words a person can act on, and a retry or an end.

boto3 wraps the error that matters: S3UploadFailedError carries the ClientError only as its
__context__, RetriesExceededError as `last_exception` (obstore, which reads cached PDFs,
raises its own).  So the reason is chosen by walking
that chain to a cause it recognises (an S3 error code, a refused connection, a timeout),
never by the wrapper's class name.

The technical text (an S3 code, a PDF/A validator's findings) is for the Sitepack team: the
job raises on, so the worker's log has the traceback, and a failure may add a `detail` for
the admin timeline. The user reads `reason` alone.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

from boto3.exceptions import Boto3Error
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as StorageConnectionError
from obstore.exceptions import BaseError as ObjectStoreError
from obstore.exceptions import PermissionDeniedError, UnauthenticatedError
from pikepdf.pdfa import PdfaError
from rq import get_current_job
from rq.job import Job
from sqlalchemy.exc import OperationalError

from portal.exports import attempts, mail_outbox
from portal.exports.attempts import Attempt, NextTry
from portal.mailer import MailKind
from portal.models import utcnow
from portal.vocabulary import PDF_LABELS


@dataclass(frozen=True)
class Failure:
    problem: str  # "Retrying after {problem}" while an automatic retry waits
    reason: str  # the sentence the user reads when the export has failed
    transient: bool = True  # worth an automatic retry
    detail: str = ""  # the admin timeline's line when it fails, if not `reason`


STORAGE = "a storage problem"
UNREACHABLE = Failure(
    STORAGE,
    "Sitepack's file storage could not be reached, so the zip could not be saved. "
    "Nothing is wrong with your records: select Retry in a few minutes.",
)
TIMEOUT = Failure(
    STORAGE,
    "Sitepack's file storage took too long to answer while the zip was being saved. "
    "Select Retry in a few minutes; if it happens again, export fewer records at a time.",
)
DENIED = Failure(
    STORAGE,
    "Sitepack's file storage refused access, so the zip could not be saved. Retrying will "
    "not help until the Sitepack team fixes the storage credentials: tell them, then select Retry.",
    transient=False,
)
NO_BUCKET = Failure(
    STORAGE,
    "The storage bucket for exports does not exist, so the zip could not be saved. "
    "Tell the Sitepack team; select Retry once they have created it.",
    transient=False,
)
FULL = Failure(
    STORAGE,
    "Sitepack's file storage is full or refused a zip this large. Export fewer records at "
    "a time (or without original photos) and select Retry, or ask the Sitepack team for space.",
    transient=False,
)
OTHER_STORAGE = Failure(
    STORAGE,
    "Sitepack's file storage did not accept the zip. Select Retry in a few minutes; "
    "if it fails again, tell the Sitepack team.",
)
DATABASE = Failure(
    "a database problem",
    "Sitepack's database was unavailable while building the export. Select Retry in a few minutes.",
)
DISK = Failure(
    "a full disk on the export server",
    "The export server ran out of disk space while building the zip. "
    "Select Retry later, or export fewer records at a time.",
)
NOT_ARCHIVAL = Failure(
    "a PDF/A problem",
    "The handover PDF could not be made archival (PDF/A), so there is no zip. Nothing is "
    "wrong with your records, but Retry will fail the same way: export them again with "
    f"Format set to “{PDF_LABELS[False]}”, and tell the Sitepack team, who have the details.",
    transient=False,  # the same records make the same PDF, and it fails the same check
)
UNKNOWN = Failure(
    "an unexpected error",
    "An unexpected error stopped the export. It has been logged for the Sitepack team; "
    "select Retry to try again.",
)

# S3 error codes (and bare HTTP statuses) by what they mean for the user; MinIO adds its own.
CODES = {
    code: failure
    for failure, codes in (
        (DENIED, "AccessDenied InvalidAccessKeyId SignatureDoesNotMatch ExpiredToken InvalidToken"),
        (DENIED, "AllAccessDisabled AccountProblem 403"),
        (NO_BUCKET, "NoSuchBucket"),
        (FULL, "EntityTooLarge QuotaExceeded XMinioStorageFull InsufficientStorage 507"),
        (TIMEOUT, "RequestTimeout 408"),
        (UNREACHABLE, "ServiceUnavailable SlowDown InternalError 500 502 503 504"),
    )
    for code in codes.split()
}


class NothingFetched(Exception):
    """No link of a bundle gave a file; each link's reason is on its row."""

    def __init__(self, links: int):
        super().__init__(f"none of {links} links could be fetched")
        self.links = links

    @property
    def failure(self) -> Failure:
        """Not worth an automatic retry (a 404 stays a 404): the person fixes the links or
        their servers, then selects Retry, which fetches every link again."""
        none = (
            "The link could not be fetched"
            if self.links == 1
            else f"None of the {self.links:,} links could be fetched"
        )
        return Failure(
            "no file",
            f"{none}, so there is no zip. Each link's reason is listed with it; once they "
            "are fixed, select Retry to fetch them again.",
            transient=False,
        )


def describe(exc: BaseException) -> Failure:
    if isinstance(exc, NothingFetched):
        return exc.failure
    chain = list(causes(exc))
    for cause in chain:
        if failure := recognise(cause):
            return failure
    if any(isinstance(c, BotoCoreError | ClientError | Boto3Error) for c in chain):
        return OTHER_STORAGE
    return UNKNOWN


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, then what it wraps, outermost first."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "last_exception", None) or exc.__cause__ or exc.__context__


def recognise(exc: BaseException) -> Failure | None:
    if isinstance(exc, ClientError):
        error, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
        return CODES.get(error.get("Code", "")) or CODES.get(str(meta.get("HTTPStatusCode")))
    if isinstance(exc, ReadTimeoutError):
        return TIMEOUT
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return DENIED
    if isinstance(exc, StorageConnectionError | HTTPClientError):
        return UNREACHABLE
    if isinstance(exc, PermissionDeniedError | UnauthenticatedError):
        return DENIED
    if isinstance(exc, ObjectStoreError):  # obstore's reads (cached PDFs) retry the rest first
        return UNREACHABLE
    if isinstance(exc, PdfaError):  # an index or combined volume jobs/handover.py wrote
        return replace(NOT_ARCHIVAL, detail=f"Handover PDF failed PDF/A validation: {exc}")
    if isinstance(exc, OperationalError):
        return DATABASE
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DISK
    return None


def record_failure(attempt: Attempt, exc: Exception) -> None:
    """A retry left and worth having: back to pending for RQ's retry. Otherwise failed, and
    the user is told (the failure email is owed on the row, so it is sent even if Redis is
    down right now)."""
    failure = describe(exc)
    upcoming = next_try(get_current_job())
    if failure.transient and upcoming:
        attempts.release_for_retry(attempt, failure.problem, upcoming)
    elif attempts.fail(attempt, failure.reason, detail=failure.detail):
        mail_outbox.hand_over_mail(attempt.export_id, MailKind.FAILURE)


def next_try(job: Job | None) -> NextTry | None:
    """When RQ will run the job again and which try that is (`queues.export_retry` allows one
    try per retry interval after the first); None when no retry is left."""
    if job is None or not job.retries_left:
        return None
    tries = 1 + len(job.retry_intervals or ())
    due = utcnow() + timedelta(seconds=job.get_retry_interval())
    return NextTry(at=due, number=tries - job.retries_left + 1, of=tries)
