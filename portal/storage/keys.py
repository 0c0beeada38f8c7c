"""Every object key in the bucket is built and parsed here, and nowhere else.

The prefixes are what the bucket's lifecycle rules, the reconciler and the sweeper select
on, so a key's shape is a contract: change it here and every reader follows.

    attachments/<organisation>/<record public id>/<attachment public id>/<file name>
    exports/<organisation>/<export public id>/attempt-<n>/<file name>
    renders/<organisation>/<fingerprint>.pdf      the render cache, content-addressed
"""

from __future__ import annotations

ATTACHMENTS = "attachments/"
EXPORTS = "exports/"
RENDERS = "renders/"
RENDITION_NAME = "rendition.jpg"


def attachment_folder(organization_id: int, record_public_id: str, attachment_id: str) -> str:
    return f"{ATTACHMENTS}{organization_id}/{record_public_id}/{attachment_id}/"


def original(folder: str, safe_name: str) -> str:
    """The photo as uploaded, under its cleaned file name."""
    return f"{folder}{safe_name}"


def rendition(folder: str) -> str:
    """The report-size JPEG made once at ingest."""
    return f"{folder}{RENDITION_NAME}"


def export_zip(organization_id: int, export_public_id: str, attempt: int, filename: str) -> str:
    """Each attempt writes under its own folder, so a superseded attempt can never overwrite
    (or delete) the zip of the attempt that replaced it."""
    return f"{EXPORTS}{organization_id}/{export_public_id}/attempt-{attempt}/{filename}"


def export_of(key: str) -> str | None:
    """The export public id an `exports/` key belongs to, or None for any other key."""
    parts = key.split("/")
    if key.startswith(EXPORTS) and len(parts) > 3:
        return parts[2]
    return None


def rendered_pdf(organization_id: int, fingerprint: str) -> str:
    """A record's cached PDF. The organisation is part of the key as well as of the
    fingerprint, so no listing, lifecycle rule or bug can serve one tenant another's PDF."""
    return f"{RENDERS}{organization_id}/{fingerprint}.pdf"
