"""Rows as the API shows them: the portal's own views of them (StatusView, parts), in JSON.

Links come from portal/urls.py (absolute, on PUBLIC_BASE_URL).
"""

from __future__ import annotations

import math

from portal import urls
from portal.api import schemas
from portal.exports.parts import PartView
from portal.exports.presenter import StatusView
from portal.exports.service import ExportOptions
from portal.exports.states import Action
from portal.extensions import db
from portal.models import Attachment, Export, Record
from portal.records.queries import ProjectSummary

# Seconds a client is told to wait between polls of a live export: the portal's own pace
# at least, the ETA at most (within reason).
POLL_MIN_SECONDS, POLL_MAX_SECONDS = 2, 30


def export_out(export: Export, view: StatusView | None = None) -> schemas.ExportOut:
    view = view or StatusView.of(export)
    eta = view.eta_seconds if view.live else None
    options = ExportOptions.of(export)
    return schemas.ExportOut(
        id=export.public_id,
        kind=export.kind,
        name=options.name if export.is_bundle else None,
        project=export.project.public_id if export.project else None,
        state=view.state.value,
        label=view.label,
        done=export.done,
        total=export.total,
        percent=view.percent,
        eta_seconds=None if eta is None else math.ceil(eta),
        warnings=export.warnings,
        options=schemas.ExportOptionsIn(
            paper=options.paper, include_originals=options.include_originals
        ),
        created_at=export.created_at,
        started_at=export.started_at,
        finished_at=export.finished_at,
        expires_at=export.expires_at,
        byte_size=export.byte_size,
        error=export.error,
        parts=[part_out(export, part) for part in view.parts],
        reordered_from=export_public_id(export.reordered_from_id),
        links=export_links(export, view),
    )


def part_out(export: Export, part: PartView) -> schemas.PartOut:
    return schemas.PartOut(
        number=part.number,
        byte_size=part.byte_size,
        sha256=part.sha256,
        file_name=part.file_name,
        download=urls.absolute("api.download_export", public_id=export.public_id, part=part.number),
    )


def export_links(export: Export, view: StatusView) -> schemas.ExportLinks:
    """The actions this caller may take now, as states.POLICY says (no action, no link)."""
    public_id = export.public_id
    links = {"self": urls.api_export(public_id)}
    for action in view.actions:
        if not view.can(action):
            continue
        if action == Action.DOWNLOAD:
            links["download"] = urls.absolute("api.download_export", public_id=public_id)
        elif action != Action.REVOKE:
            links[action.value] = urls.absolute(f"api.{action.value}_export", public_id=public_id)
    if view.newer is not None:
        links["reordered_as"] = urls.api_export(view.newer.public_id)
    return schemas.ExportLinks(**links)


def export_public_id(export_id: int | None) -> str | None:
    return db.session.get(Export, export_id).public_id if export_id else None


def poll_after(out: schemas.ExportOut) -> int:
    """Retry-After for a live export: when it is worth asking again."""
    eta = out.eta_seconds or POLL_MIN_SECONDS
    return max(POLL_MIN_SECONDS, min(POLL_MAX_SECONDS, eta))


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
    return schemas.RecordOut.model_validate(record)


def photo_out(attachment: Attachment) -> schemas.PhotoOut:
    return schemas.PhotoOut.model_validate(attachment)
