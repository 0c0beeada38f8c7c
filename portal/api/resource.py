"""The export resource: one export, described once from its row, the same whoever asks.

The API's export (present.export_out) adds what its caller sees and may do; a webhook sends
it as it is (webhooks/payload.py), so an integrator reads one shape from both doors, described
once in the OpenAPI document (schemas.ExportResource, under `components` and `webhooks`).

The names, where the API and the webhook used to differ:
- `total` (with `done`), not `records`: a bundle's items are files, and `done` of `total` is
  the progress every door shows; `records` and `files` say how much of `total` is which.
- `project` is `{id, name}`: a receiver can tell a person which project without another call,
  and the id is still there to match.
- `name` is what the requester named the export (a bundle's name), null for a records export,
  whose project's name is under `project`: one value, one field.
- `download`, not `download_url`: links are named for where they lead (`links.self`,
  `links.page`); that they are URLs is their type. Download links are the API's, which an
  integrator's key opens; `links.page` is the portal page, for a person.
"""

from __future__ import annotations

from portal import urls
from portal.api import schemas
from portal.exports import states, wording
from portal.exports.options import ExportOptions
from portal.exports.parts import PartView, parts_of
from portal.extensions import db
from portal.models import Export


def export_resource(export: Export) -> schemas.ExportResource:
    options = ExportOptions.of(export)
    state = states.effective(export)
    downloadable = states.allowed_by_anyone(state, states.Action.DOWNLOAD)
    parts = [part_out(export, part, downloadable) for part in parts_of(export)]
    project = export.project
    return schemas.ExportResource(
        id=export.public_id,
        kind=export.kind,
        name=options.name if export.is_bundle else None,
        project=schemas.ProjectRef(id=project.public_id, name=project.name) if project else None,
        state=state.value,
        done=export.done,
        total=export.total,
        records=wording.records(export),
        files=export.files,
        warnings=export.warnings,
        records_failed=wording.records_failed(export),
        files_failed=export.files_failed,
        options=schemas.ExportOptionsIn(
            paper=options.paper, include_originals=options.include_originals
        ),
        created_at=export.created_at,
        started_at=export.started_at,
        finished_at=export.finished_at,
        expires_at=export.expires_at,
        byte_size=export.byte_size,
        error=export.error,
        revoke_reason=export.revoke_reason,
        parts=parts,
        reordered_from=export_public_id(export.reordered_from_id),
        links=schemas.ResourceLinks(
            self=urls.api_export(export.public_id),
            page=urls.export_page(export.public_id),
            download=urls.api_download(export.public_id) if downloadable else None,
        ),
    )


def part_out(export: Export, part: PartView, downloadable: bool) -> schemas.PartOut:
    """A zip's size and checksum stay after it is gone: they say what was delivered."""
    return schemas.PartOut(
        number=part.number,
        file_name=part.file_name,
        byte_size=part.byte_size,
        sha256=part.sha256,
        total=part.total,
        download=urls.api_download(export.public_id, part.number) if downloadable else None,
    )


def export_public_id(export_id: int | None) -> str | None:
    return db.session.get(Export, export_id).public_id if export_id else None
