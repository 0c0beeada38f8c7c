"""An export's ETag for the API, read in one lean query: a program polling an export that has
not changed is answered 304 before any of the resource is built (no ORM objects, no parts,
no re-order lookup, no pydantic model, no response validation).

The tag covers every column of the export's row but its heartbeat (which moves every second
and shows nowhere), the newest export it was re-ordered as and the one that redid what
failed in it, its project's name, who asks
(their role decides the action links) and, while it is processing, a clock of
POLL_MIN_SECONDS steps (its ETA moves with time; a pending one's comes from its lane).
The row is read under the same rule as `export_or_404`: the caller's organisation, and
their own export unless they are an admin; anything else gets no tag, and the full view
answers as it always did (a 404).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from flask_login import current_user
from sqlalchemy import func, select

from portal.api import present
from portal.api.present import POLL_MIN_SECONDS
from portal.exports import states
from portal.extensions import db
from portal.models import Export, Project, utcnow

COLUMNS = [c for c in Export.__table__.columns if c.name != "heartbeat_at"]
_newer = Export.__table__.alias("newer")
NEWER = (
    select(func.max(_newer.c.id)).where(_newer.c.reordered_from_id == Export.id).scalar_subquery()
)
REDONE = select(func.max(_newer.c.id)).where(_newer.c.completes_id == Export.id).scalar_subquery()


@dataclass(frozen=True)
class Tagged:
    etag: str
    retry_after: int | None  # a live export's pace (present.poll_after), from its own rate


def of(public_id: str) -> Tagged | None:
    """The export's tag for the caller, or None when they may not see it (or it is not)."""
    query = (
        select(*COLUMNS, NEWER, REDONE, Project.name)
        .outerjoin(Project, Project.id == Export.project_id)
        .where(
            Export.public_id == public_id,
            Export.organization_id == current_user.organization_id,
        )
    )
    if not current_user.is_admin:
        query = query.where(Export.requested_by_id == current_user.id)
    row = db.session.execute(query).first()
    if row is None:
        return None
    live = row.status in states.LIVE
    expired = row.expires_at is not None and row.expires_at <= utcnow()
    clock = int(time.time() // POLL_MIN_SECONDS) if row.status == states.PROCESSING else None
    viewer = (current_user.id, current_user.role, current_user.is_staff)
    material = repr((tuple(row), viewer, expired, clock)).encode()
    pace = present.poll_after(row.status, own_eta(row)) if live else None
    return Tagged(hashlib.sha256(material).hexdigest()[:32], pace)


def own_eta(row) -> float | None:
    """Seconds left at the rate this attempt has kept so far; None before it has one."""
    if not row.done or row.started_at is None:
        return None
    elapsed = (utcnow() - row.started_at).total_seconds()
    return (row.total - row.done) * elapsed / row.done if elapsed > 0 else None
