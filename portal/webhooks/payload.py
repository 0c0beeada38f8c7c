"""What an event says about an export: the export resource (portal/exports/resource.py), the
one the API describes, so an integrator acts on it without another call.

WEBHOOK_PAYLOAD_VERSION=1 keeps the body from before the resource, for one release while
receivers move; it goes with that setting in the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from portal import urls
from portal.exports import states, wording
from portal.exports.resource import ExportEvent, export_resource
from portal.models import Export


def event_body(event: str, export: Export, at: datetime) -> dict:
    if current_app.config["WEBHOOK_PAYLOAD_VERSION"] == 1:
        return {"type": event, "timestamp": iso(at), "data": version_1_data(export)}
    body = ExportEvent(type=event, version=2, timestamp=at, data=export_resource(export))
    return body.model_dump(mode="json")


def iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def version_1_data(export: Export) -> dict:
    """The export as version 1 described it: portal links, `records`, `name` its title."""
    public_id, state = export.public_id, states.effective(export)
    downloadable = states.allowed_by_anyone(state, states.Action.DOWNLOAD)
    return {
        "id": public_id,
        "state": state,
        "kind": export.kind,
        "name": wording.title(export),
        "project": {"id": export.project.public_id, "name": export.project.name}
        if export.project
        else None,
        "records": export.total,
        "created_at": iso(export.created_at),
        "finished_at": iso(export.finished_at),
        "expires_at": iso(export.expires_at),
        "byte_size": export.byte_size,
        "error": export.error,
        "revoke_reason": export.revoke_reason,
        "parts": [
            {
                "number": part.number,
                "byte_size": part.byte_size,
                "sha256": part.sha256,
                "records": part.records,
                "download_url": urls.export_download(public_id, part.number)
                if downloadable
                else None,
            }
            for part in export.parts
        ],
        "links": {
            "self": urls.api_export(public_id),
            "download": urls.export_download(public_id) if downloadable else None,
            "page": urls.export_page(public_id),
        },
    }
