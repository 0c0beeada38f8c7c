"""Secrets never reach a log: an API key (`sp_...`) in a log line is masked to its lookup
prefix, the part the API keys page shows anyway.

The app logs through `app.logger`; a filter on it rewrites each record before any handler
(stderr, gunicorn's, a test's) sees it.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

from portal.api import keys

ANYWHERE = re.compile(keys.SECRET.pattern)


def mask(text: str) -> str:
    return ANYWHERE.sub(lambda found: keys.lookup_prefix(found.group()) + "…[redacted]", text)


class RedactApiKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ANYWHERE.search(message):
            record.msg, record.args = mask(message), ()
        return True


def install(app: Flask) -> None:
    """Once per logger: every app of a process (the test suite makes hundreds) shares
    `app.logger`, and each filter added would run on every record."""
    if not any(isinstance(known, RedactApiKeys) for known in app.logger.filters):
        app.logger.addFilter(RedactApiKeys())
