"""Rows as the API shows them: the portal's own views of them (StatusView, parts), in JSON.

Links come from portal/urls.py (absolute, on PUBLIC_BASE_URL).
"""

from __future__ import annotations

import math

from portal import urls
from portal.api import schemas
from portal.exports.presenter import StatusView
from portal.exports.resource import ExportResource, export_resource
from portal.exports.states import Action
from portal.models import Attachment, Export, ExportStatus, Record
from portal.records.queries import ProjectSummary

# Seconds a client is told to wait between polls of a live export: the portal's own pace
# at least, the ETA at most (within reason).
POLL_MIN_SECONDS, POLL_MAX_SECONDS = 2, 30
POLL_WAITING_SECONDS = 5  # a pending export: the portal's pace for one waiting its turn
LOOKS = 4  # a processing export is looked at about this many times in the time it has left


def export_out(export: Export, view: StatusView | None = None) -> schemas.ExportOut:
    """The export resource, with the caller's view of it: the state in words, progress and
    time left, and the links of the actions they may take."""
    view = view or StatusView.of(export)
    resource = export_resource(export)
    eta = view.eta_seconds if view.live else None
    return schemas.ExportOut(
        **{**dict(resource), "links": export_links(resource, view)},
        label=view.label,
        percent=view.percent,
        eta_seconds=None if eta is None else math.ceil(eta),
    )


def export_links(resource: ExportResource, view: StatusView) -> schemas.ExportLinks:
    """The resource's links, and the actions this caller may take now, as states.POLICY says
    (no action, no link). Sharing is the portal's alone."""
    links = resource.links.model_dump()
    if not view.can(Action.DOWNLOAD):
        links["download"] = None
    for action in view.actions:
        if view.can(action) and action not in (Action.DOWNLOAD, Action.REVOKE, Action.SHARE):
            links[action.value] = urls.absolute(f"api.{action.value}_export", public_id=resource.id)
    if view.newer is not None:
        links["reordered_as"] = urls.api_export(view.newer.public_id)
    if view.redo is not None and view.redo.done_as is not None:
        links["redone_as"] = urls.api_export(view.redo.done_as.public_id)
    return schemas.ExportLinks(**links)


def poll_after(state: str, eta: float | None) -> int:
    """Retry-After for a live export, at its pace: a quarter of the time it has left (a
    10-second export is looked at every 2 s, a 10-minute one every 30 s); while it waits
    its turn, the portal's waiting pace."""
    if state == ExportStatus.PENDING:
        return POLL_WAITING_SECONDS
    return max(POLL_MIN_SECONDS, min(POLL_MAX_SECONDS, math.ceil((eta or 0) / LOOKS)))


def project_out(summary: ProjectSummary) -> schemas.ProjectOut:
    project = summary.project
    return schemas.ProjectOut(
        id=project.public_id,
        name=project.name,
        code=project.code,
        address=project.address,
        records=summary.records,
        open_records=summary.open_records,
    )


def record_out(record: Record) -> schemas.RecordOut:
    out = schemas.RecordOut.model_validate(record)
    out.sign_off = schemas.SignOffOut.model_validate(record)
    return out


def photo_out(attachment: Attachment) -> schemas.PhotoOut:
    return schemas.PhotoOut.model_validate(attachment)
