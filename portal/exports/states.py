"""The export state machine: its states, the moves between them, and who may do what in each.

Every other module asks this one. What people do (retry, cancel, revoke) is a guarded UPDATE
in service.py, and a completed export's end (expiry, revocation) one in endings.py, whose
"from" states come from here; the worker's fenced writes in attempts.py make the moves
`TRANSITIONS` lists for it. The pages offer, and the routes accept, exactly what `allows`
says; the sweeper, the navbar and the admin console read the groups. A new state or action
added here without the rest fails the table-driven test in tests/exports/test_state_policy.py.

"Expired" is derived at read time: a completed export past `expires_at` is expired whatever
the row says, until the sweeper catches up (`effective`, `is_shown_as`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from portal.models import Export, ExportStatus, User, utcnow

PENDING = ExportStatus.PENDING
PROCESSING = ExportStatus.PROCESSING
COMPLETED = ExportStatus.COMPLETED
FAILED = ExportStatus.FAILED
CANCELLED = ExportStatus.CANCELLED
EXPIRED = ExportStatus.EXPIRED
REVOKED = ExportStatus.REVOKED


class Action(StrEnum):
    """What a person can ask of an export; the names are also the routes' last segment."""

    CANCEL = "cancel"
    RETRY = "retry"
    REORDER = "reorder"
    REVOKE = "revoke"
    DOWNLOAD = "download"
    # Send the zips to people outside the organisation (portal/shares/).
    SHARE = "share"
    # Export again, as a new export, only the records and links that failed (exports/failed.py).
    REDO = "redo"


class Role(StrEnum):
    """How a person stands to one export. Anyone else does not see it at all (404)."""

    REQUESTER = "requester"
    ORG_ADMIN = "org_admin"
    STAFF = "staff"


# Which state may become which. Pending/processing go back and forth: an attempt that fails
# with retries left, or whose worker died, is released to pending for the next attempt; a
# processing export whose heartbeat stopped is taken over by a new attempt (processing again).
TRANSITIONS: dict[ExportStatus, frozenset[ExportStatus]] = {
    PENDING: frozenset({PROCESSING, CANCELLED, FAILED}),
    PROCESSING: frozenset({PENDING, PROCESSING, COMPLETED, FAILED, CANCELLED}),
    # Failed from completed: the zip turned out to be missing from storage.
    COMPLETED: frozenset({EXPIRED, REVOKED, FAILED}),
    # A failed export is retried as itself.
    FAILED: frozenset({PENDING}),
    CANCELLED: frozenset(),
    EXPIRED: frozenset(),
    REVOKED: frozenset(),
}

EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.ORG_ADMIN, Role.STAFF})
# Who answers for what leaves the organisation: its requester or one of its admins (not
# Sitepack's staff).
ORGANISATION = frozenset({Role.REQUESTER, Role.ORG_ADMIN})

# The policy: in each state, which actions are allowed, and for whom. Absent means refused.
# A failed export is retried, not re-ordered; a revoked one is re-ordered only by an admin,
# who knows why it was withdrawn. Only a completed export is shared. What failed in a
# ready or expired export (its records are still known) is redone as a new export, and by an
# admin in a revoked one, as it is re-ordered.
POLICY: dict[ExportStatus, dict[Action, frozenset[Role]]] = {
    PENDING: {Action.CANCEL: EVERYONE},
    PROCESSING: {Action.CANCEL: EVERYONE},
    COMPLETED: {
        Action.DOWNLOAD: EVERYONE,
        Action.REVOKE: ADMINS,
        Action.SHARE: ORGANISATION,
        Action.REDO: EVERYONE,
    },
    FAILED: {Action.RETRY: EVERYONE},
    CANCELLED: {Action.REORDER: EVERYONE},
    EXPIRED: {Action.REORDER: EVERYONE, Action.REDO: EVERYONE},
    REVOKED: {Action.REORDER: ADMINS, Action.REDO: ADMINS},
}

# What an action does to the row: the state it leads to (re-order and download leave the
# export as it is; re-order makes a new one).
LEADS_TO: dict[Action, ExportStatus | None] = {
    Action.CANCEL: CANCELLED,
    Action.RETRY: PENDING,
    Action.REVOKE: REVOKED,
    Action.REORDER: None,
    Action.DOWNLOAD: None,
    Action.SHARE: None,
    Action.REDO: None,
}

# Groups other code asks about.
LIVE = (PENDING, PROCESSING)  # work to do or being done: polled, counted against the limit
TERMINAL = tuple(s for s in ExportStatus if s not in LIVE)  # polling stops
ANNOUNCED = (COMPLETED, FAILED, CANCELLED)  # the navbar toasts these when they happen
GONE = (FAILED, CANCELLED, EXPIRED, REVOKED)  # no zip to download, and there won't be
HAD_ZIP = (COMPLETED, EXPIRED, REVOKED)  # a zip was delivered (the admin figures count these)


def sources_of(target: ExportStatus) -> tuple[ExportStatus, ...]:
    """The states a guarded UPDATE to `target` may start from."""
    return tuple(s for s, targets in TRANSITIONS.items() if target in targets)


def sources_for(action: Action) -> tuple[ExportStatus, ...]:
    """The row states in which `action` is allowed to anyone."""
    return tuple(s for s in ExportStatus if action in POLICY[s])


def is_expired(export: Export, now: datetime | None = None) -> bool:
    if export.status == EXPIRED:
        return True
    return (
        export.status == COMPLETED
        and export.expires_at is not None
        and export.expires_at <= (now or utcnow())
    )


def effective(export: Export) -> ExportStatus:
    """The state a person sees: the row's, except that a completed export past expiry is
    expired already."""
    return EXPIRED if is_expired(export) else ExportStatus(export.status)


def is_shown_as(state: ExportStatus) -> ColumnElement[bool]:
    """SQL for "exports a person sees in `state`": `effective` as a WHERE clause."""
    now = utcnow()
    past = and_(Export.status == COMPLETED, Export.expires_at <= now)
    if state == EXPIRED:
        return or_(Export.status == EXPIRED, past)
    if state == COMPLETED:
        return and_(
            Export.status == COMPLETED, or_(Export.expires_at.is_(None), Export.expires_at > now)
        )
    return Export.status == state


def role_of(user: User, export: Export) -> Role | None:
    """Staff act across organisations; an org admin within theirs; a member on their own."""
    if user.is_staff:
        return Role.STAFF
    if user.organization_id != export.organization_id:
        return None
    if user.is_admin:
        return Role.ORG_ADMIN
    return Role.REQUESTER if export.requested_by_id == user.id else None


def allows(state: ExportStatus, action: Action, role: Role | None) -> bool:
    return role is not None and role in POLICY[state].get(action, frozenset())


def allowed_by_anyone(state: ExportStatus, action: Action) -> bool:
    return action in POLICY[state]


def actions_for(state: ExportStatus, role: Role | None) -> list[Action]:
    return [action for action in Action if allows(state, action, role)]
