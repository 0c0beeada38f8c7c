"""The status poll, made cheap: a thousand people watching must not slow the work they watch.

An export's page polls its status fragment every few seconds while the export is live. Each
poll runs one indexed query of the columns the fragment shows (the navbar's count of live
exports comes from the same query), hashes them into an ETag, and answers 304 with no body
while nothing changed; the page's script sends the fragment's ETag back as If-None-Match and
htmx leaves the element alone on a 304 (templates/base.html's htmx-config). Only a change
renders, from the same row: no ORM objects, no lazy loads. A terminal state renders once
from the ORM export, the way the export's page does, and its fragment stops the polling.

Access is enforced as on the page: the row is looked up within the user's organisation and
answered 404 unless they requested it or are its organisation's admin, before any 304.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, func, select

from portal.exports import states
from portal.extensions import db
from portal.models import Export, Project, User
from portal.tenancy import PUBLIC_ID

# A live fragment is rendered afresh at least this often even when its row stands still, so
# that what it computes from the clock (the ETA, "next try in 5 minutes") does not go stale.
CLOCK_SECONDS = 30


class Named(NamedTuple):
    """What the fragment reads of the export's project and requester."""

    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class ExportRow:
    """An export as its status fragment reads it (the same attribute names as `Export`), plus
    the viewer's count of live exports for the navbar."""

    id: int
    public_id: str
    organization_id: int
    requested_by_id: int
    status: str
    queue_name: str
    total: int
    done: int
    attempt: int
    cache_hits: int
    started_at: datetime | None
    expires_at: datetime | None
    finished_at: datetime | None
    next_try_at: datetime | None
    next_try_number: int | None
    max_tries: int | None
    error: str | None
    project: Named
    requested_by: Named
    active: int  # the viewer's live exports: the navbar's count

    @property
    def live(self) -> bool:
        return states.effective(self) in states.LIVE


_live = Export.__table__.alias("live")
# The columns of ExportRow, in its order.
COLUMNS = (
    Export.id, Export.public_id, Export.organization_id, Export.requested_by_id, Export.status,
    Export.queue_name, Export.total, Export.done, Export.attempt, Export.cache_hits,
    Export.started_at, Export.expires_at, Export.finished_at, Export.next_try_at,
    Export.next_try_number, Export.max_tries, Export.error, Project.name, User.email,
)  # fmt: skip
ACTIVE = (
    select(func.count())
    .where(_live.c.requested_by_id == bindparam("viewer"))
    .where(_live.c.status.in_([str(s) for s in states.LIVE]))
    .scalar_subquery()
)
# Built once: each poll only binds its values (SQLAlchemy caches the compiled form too).
STATUS_QUERY = (
    select(*COLUMNS, ACTIVE)
    .join(Project, Project.id == Export.project_id)
    .join(User, User.id == Export.requested_by_id)
    .where(Export.public_id == bindparam("public_id"))
    .where(Export.organization_id == bindparam("organization"))
)


def export_row_or_404(public_id: str) -> ExportRow:
    """The export by its public id, as `access.export_or_404` would allow it, in one query."""
    if not isinstance(public_id, str) or not PUBLIC_ID.fullmatch(public_id):
        abort(404)
    found = db.session.execute(
        STATUS_QUERY,
        {
            "public_id": public_id,
            "organization": current_user.organization_id,
            "viewer": current_user.id,
        },
    ).first()
    if found is None:
        abort(404)
    *columns, project_name, requester_email, active = found
    row = ExportRow(*columns, Named(name=project_name), Named(email=requester_email), active or 0)
    if row.requested_by_id != current_user.id and not current_user.is_admin:
        abort(404)
    return row


def _template_version() -> str:
    """Part of every ETag: a deploy that changes what the fragment says changes the tags."""
    folder = Path(__file__).resolve().parents[2] / "templates" / "exports"
    digest = hashlib.blake2b(digest_size=8)
    for name in ("_status.html", "_status_poll.html", "_activity.html", "_cancel.html"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


TEMPLATE_VERSION = _template_version()


def etag(row: ExportRow, position: int | None, now: float | None = None) -> str:
    """Everything the fragment renders from, hashed: the row's columns, the viewer (their
    role picks the buttons; the tag is theirs alone), the queue position, the navbar count,
    and for a live export the clock in CLOCK_SECONDS steps."""
    state = states.effective(row)
    role = states.role_of(current_user, row)
    clock = int((now or time.time()) // CLOCK_SECONDS) if state in states.LIVE else None
    parts = (TEMPLATE_VERSION, current_user.id, role, state, position, clock, row)
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()
