"""What an event says about an export: everything an integrator needs to act on it without
another call, and links to the API resource and the download (portal links, never S3)."""

from __future__ import annotations

from datetime import UTC, datetime

from portal import urls
from portal.exports import states
from portal.models import Export, ExportStatus


def iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def export_resource(export: Export) -> dict:
    """The export as the API's /api/v1/exports/{id} describes it, at the moment of the event.
    Download links only while it can be downloaded: a revoked or expired export's zips are
    gone, but their sizes and checksums still say what was delivered."""
    public_id, state = export.public_id, states.effective(export)
    downloadable = state == ExportStatus.COMPLETED
    return {
        "id": public_id,
        "state": state,
        "kind": export.kind,
        "name": export.title,
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


def event_body(event: str, export: Export, at: datetime) -> dict:
    """The Standard Webhooks shape: type, timestamp, data."""
    return {"type": event, "timestamp": iso(at), "data": export_resource(export)}
