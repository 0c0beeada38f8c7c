"""Turning an exception into a reason a person can act on."""

from __future__ import annotations

import errno

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import OperationalError

STORAGE = (
    "Sitepack's file storage could not be reached, so the zip could not be saved. "
    "Nothing is wrong with your records: select Retry in a few minutes."
)
DATABASE = (
    "Sitepack's database was unavailable while building the export. Select Retry in a few minutes."
)
DISK = (
    "The export server ran out of disk space while building the zip. "
    "Select Retry later, or export fewer records at a time."
)
UNKNOWN = (
    "An unexpected error stopped the export. It has been logged for the Sitepack team; "
    "select Retry to try again."
)


def user_reason(exc: BaseException) -> str:
    if isinstance(exc, BotoCoreError | ClientError):
        return STORAGE
    if isinstance(exc, OperationalError):
        return DATABASE
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DISK
    return UNKNOWN
