"""The navbar's view of the user's exports: how many are live, which just finished."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_login import current_user
from sqlalchemy import func, select

from portal.exports import states
from portal.extensions import db
from portal.models import Export


@dataclass
class Activity:
    active: int
    checked_at: int = field(default_factory=lambda: int(time.time()))
    finished: list[Export] = field(default_factory=list)


def activity_since(since: int | None = None) -> Activity:
    """Counts live exports; with `since` (a Unix time), also those finished after it."""
    if not current_user.is_authenticated:
        return Activity(active=0)
    mine = Export.requested_by_id == current_user.id
    now = int(time.time())
    active = db.session.scalar(select(func.count()).where(mine, Export.status.in_(states.LIVE)))
    finished = []
    if since is not None:
        after = datetime.fromtimestamp(since, UTC).replace(tzinfo=None)
        finished = db.session.scalars(
            select(Export)
            .where(mine, Export.status.in_(states.ANNOUNCED), Export.finished_at > after)
            .order_by(Export.finished_at)
            .limit(5)
        ).all()
    return Activity(active=active, checked_at=now, finished=list(finished))


def parse_since(raw: str | None) -> int:
    """A malformed or future `since` is treated as now: no toasts, never an error."""
    now = int(time.time())
    try:
        value = int(raw or "")
    except ValueError:
        return now
    return value if 0 < value <= now else now
