"""What an admin may do to an export and what the confirmation page says.

Which actions an export's state allows, and to whom, is `portal/exports/states.py`'s POLICY
(read through the StatusView); each action goes through the exports service, which checks it
again and records it on the export's timeline with the admin as the actor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from portal.exports import service
from portal.exports.presenter import StatusView
from portal.exports.states import Action
from portal.models import Export, User

Perform = Callable[[Export, User, Mapping[str, str]], tuple[Export, str]]


@dataclass(frozen=True)
class AdminAction:
    name: Action
    label: str
    consequence: str
    perform: Perform
    danger: bool = False
    # A revoke asks why: the requester sees the reason on the export's page.
    asks_reason: bool = False


def _reorder(export: Export, by: User, form: Mapping[str, str]) -> tuple[Export, str]:
    result = service.reorder(export, by)
    if result.reused:
        return (
            result.export,
            "It was already re-ordered, or an identical export is in progress; here it is.",
        )
    return result.export, (
        f"Re-ordered for {export.requested_by.email}; they will get the ready email."
    )


def _retry(export: Export, by: User, form: Mapping[str, str]) -> tuple[Export, str]:
    service.retry(export, by)
    return export, "Queued again as the same export."


def _revoke(export: Export, by: User, form: Mapping[str, str]) -> tuple[Export, str]:
    service.revoke(export, by, form.get("reason", ""))
    return export, "Revoked: the zip is deleted and its download link no longer works."


def _cancel(export: Export, by: User, form: Mapping[str, str]) -> tuple[Export, str]:
    service.cancel(export, by)
    return export, "Cancelled."


ACTIONS = {
    action.name: action
    for action in (
        AdminAction(
            Action.REORDER,
            "Re-order for the requester",
            "A new export of the same records and options is built for the requester, "
            "who gets the ready email.",
            _reorder,
        ),
        AdminAction(
            Action.RETRY,
            "Retry",
            "The failed export runs again from the start; the requester gets the ready "
            "email when it is done.",
            _retry,
        ),
        AdminAction(
            Action.REVOKE,
            "Revoke",
            "The zip is deleted from storage and the CDN, and its download link stops "
            "working at once. This cannot be undone; it can be re-ordered later.",
            _revoke,
            danger=True,
            asks_reason=True,
        ),
        AdminAction(
            Action.CANCEL,
            "Cancel",
            "The export stops at its next progress update and nothing is delivered.",
            _cancel,
            danger=True,
        ),
    )
}


def available(view: StatusView) -> list[AdminAction]:
    return [action for action in ACTIONS.values() if view.can(action.name)]


def allowed(view: StatusView, name: str) -> AdminAction | None:
    return next((a for a in available(view) if a.name == name), None)
