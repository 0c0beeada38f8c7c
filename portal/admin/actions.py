"""What an admin may do to an export, in which states, and what the confirmation page says.

Each action goes through the exports service, which records it on the export's timeline
with the admin as the actor; nothing here changes a row itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.exports import service
from portal.exports.service import ExportRequestError
from portal.models import Export, User


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    consequence: str
    states: tuple[str, ...]
    perform: Callable[[Export, User], tuple[Export, str]]
    danger: bool = False


def _reorder(export: Export, by: User) -> tuple[Export, str]:
    result = service.reorder(export, by)
    if result.reused:
        return result.export, "An identical export was already in progress; here it is."
    return result.export, (
        f"Re-ordered for {export.requested_by.email}; they will get the ready email."
    )


def _retry(export: Export, by: User) -> tuple[Export, str]:
    service.retry(export, by)
    return export, "Queued again as the same export."


def _revoke(export: Export, by: User) -> tuple[Export, str]:
    service.revoke(export, by)
    return export, "Revoked: the zip is deleted and its download link no longer works."


def _cancel(export: Export, by: User) -> tuple[Export, str]:
    if not service.cancel(export, by):
        raise ExportRequestError("This export had already finished.", status=409)
    return export, "Cancelled."


ACTIONS = {
    action.name: action
    for action in (
        Action(
            "reorder",
            "Re-order for the requester",
            "A new export of the same records and options is built for the requester, "
            "who gets the ready email.",
            ("expired", "cancelled", "revoked"),
            _reorder,
        ),
        Action(
            "retry",
            "Retry",
            "The failed export runs again from the start; the requester gets the ready "
            "email when it is done.",
            ("failed",),
            _retry,
        ),
        Action(
            "revoke",
            "Revoke",
            "The zip is deleted from storage and the CDN, and its download link stops "
            "working at once. This cannot be undone; it can be re-ordered later.",
            ("completed",),
            _revoke,
            danger=True,
        ),
        Action(
            "cancel",
            "Cancel",
            "The export stops at its next progress update and nothing is delivered.",
            ("pending", "processing"),
            _cancel,
            danger=True,
        ),
    )
}


def available(export: Export) -> list[Action]:
    state = service.display_status(export)
    return [action for action in ACTIONS.values() if state in action.states]


def allowed(export: Export, name: str) -> Action | None:
    return next((a for a in available(export) if a.name == name), None)
