"""A record's sign-off signature: a PNG or JPEG pushed with the record, kept as a PNG that
Sitepack redrew (portal/pictures.py), under a key named by its digest (keys.signature)."""

from __future__ import annotations

import hashlib

from portal import pictures
from portal.storage import client as s3
from portal.storage import keys

SIGNATURE_MAX_BYTES = 256 * 1024
SIGNATURE_BOX = (600, 200)  # shown 40 mm × 13 mm in the PDF's sign-off block
WHAT = "The signature"


def prepared_signature(data: bytes) -> bytes:
    """The PNG to store; raises pictures.PictureRefused with the reason."""
    if len(data) > SIGNATURE_MAX_BYTES:
        raise pictures.PictureRefused(
            f"The signature is over {SIGNATURE_MAX_BYTES // 1024} KB: send a smaller picture."
        )
    if not pictures.is_raster(data):
        raise pictures.PictureRefused("The signature must be a PNG or JPEG picture.")
    return pictures.as_png(pictures.decoded(data, WHAT), SIGNATURE_BOX)


def digest(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


def store(organization_id: int, record_public_id: str, png: bytes) -> str:
    """Stores the PNG (before any row names it) and answers its digest."""
    sha256 = digest(png)
    s3.put_bytes(keys.signature(organization_id, record_public_id, sha256), png, "image/png")
    return sha256
