"""Photos: a tenant check, then a redirect to a presigned URL that lives a minute.

The bucket is private and the portal never streams photo bytes itself; the short-lived URL
keeps a leaked link from working for long.
"""

from urllib.parse import quote

from flask import redirect

from portal.models import Attachment
from portal.records.blueprint import bp
from portal.storage import client as s3
from portal.tenancy import get_or_404

PRESIGN_SECONDS = 60


@bp.get("/attachments/<attachment_id>/rendition")
def rendition(attachment_id: str):
    """The report-size JPEG (the original when a rendition was never made)."""
    attachment = get_or_404(Attachment, attachment_id)
    return _presigned_redirect(attachment.rendition_key or attachment.storage_key)


@bp.get("/attachments/<attachment_id>/original")
def original(attachment_id: str):
    attachment = get_or_404(Attachment, attachment_id)
    disposition = f"inline; filename*=UTF-8''{quote(attachment.filename, safe='')}"
    return _presigned_redirect(attachment.storage_key, disposition)


def _presigned_redirect(key: str, disposition: str | None = None):
    response = redirect(s3.presigned_get(key, PRESIGN_SECONDS, disposition), 302)
    # The browser may reuse the redirect briefly (thumbnails redrawn), never past the URL's life.
    response.headers["Cache-Control"] = f"private, max-age={PRESIGN_SECONDS // 2}"
    return response
