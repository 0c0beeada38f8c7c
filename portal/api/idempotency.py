"""`Idempotency-Key` on POST /exports: a retried request answers with the export the first
one made, instead of making another.

The key is stored with the export in the transaction that accepts it (service.request_export's
`alongside`), under a unique (user, key) constraint: of two requests racing with one key,
one commits and the other's whole transaction, export included, is rolled back, after which
it answers with the winner's export. No read-then-write window decides it.
Keys are remembered per user for IDEMPOTENCY_KEY_HOURS from the first request: a retry
within that answers with the first export; after it, the key is free again (the sweeper
deletes such rows, and a request that meets one before the sweeper does deletes it first).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort
from pydantic import BaseModel
from sqlalchemy import delete, select

from portal.extensions import db
from portal.idempotency_keys import oldest_remembered
from portal.models import Export, IdempotentRequest, User

REUSED = (
    "This Idempotency-Key was already used with a different request body. Use a new key for "
    "a new request; resend the same body to get the first request's export."
)


@dataclass(frozen=True)
class Claim:
    key: str
    request_hash: str


def claim_of(key: str | None, body: BaseModel) -> Claim | None:
    """The request's key and the hash of its validated body; None without a key."""
    if key is None:
        return None
    return Claim(key, hashlib.sha256(body.model_dump_json().encode()).hexdigest())


def earlier_export(user: User, claim: Claim) -> Export | None:
    """The export this key already made (422 if it came with another body), else None."""
    row = db.session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == user.id, IdempotentRequest.key == claim.key
        )
    )
    if row is None:
        return None
    if row.created_at < oldest_remembered():
        # Deleted now, in this request's transaction: its key's unique row is about to be new.
        db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.id == row.id))
        return None
    if row.request_hash != claim.request_hash:
        abort(422, REUSED)
    return db.session.get(Export, row.export_id)


def remember(user: User, claim: Claim) -> Callable[[Export], None]:
    def add(export: Export) -> None:
        db.session.add(
            IdempotentRequest(
                user_id=user.id,
                key=claim.key,
                request_hash=claim.request_hash,
                export_id=export.id,
            )
        )

    return add
