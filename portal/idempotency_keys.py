"""How long an Idempotency-Key is remembered, and the sweeper's forgetting of older ones.

Outside portal/api so that the sweeper, a job, reaches it without importing the API
(tests/infra/test_import_rules.py); the API's door (portal/api/idempotency.py) reads the
same lifetime from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from portal.extensions import db
from portal.models import IdempotentRequest, utcnow


def oldest_remembered() -> datetime:
    return utcnow() - timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])


def forget_expired() -> int:
    """The sweeper's part: the rows of keys past their lifetime; answers how many."""
    gone = db.session.execute(
        delete(IdempotentRequest).where(IdempotentRequest.created_at < oldest_remembered())
    )
    db.session.commit()
    return gone.rowcount
