"""Photo ingest: the original, kept as uploaded, and a report-size rendition made once.

Exports render hundreds of photos per zip; resizing a 12-megapixel original for every PDF
would dominate the export, so the JPEG a report needs is made here, at upload, and only once.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.utils import secure_filename

from portal.imaging import strict_decoding
from portal.models import Attachment, Record, new_public_id
from portal.models.lengths import PERSON_NAME_MAX
from portal.storage import client as s3
from portal.storage import keys

EXIF_IFD, DATE_TIME_ORIGINAL = 0x8769, 0x9003  # where EXIF keeps when the photo was taken
RENDITION_LONGEST_SIDE = 1600
RENDITION_QUALITY = 80
# What Pillow raises for bytes that are not a readable image (truncated, unknown, a bomb).
UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
)
# Phones write JPEGs with extra frames that Pillow calls MPO; browsers know them as JPEG.
CONTENT_TYPES = {"MPO": "image/jpeg"}


def ingest_photo(
    record: Record, filename: str, data: bytes, caption: str = "", taken_by: str = ""
) -> Attachment:
    """Store the photo and its rendition, then add its Attachment row (the caller commits).

    Bad bytes raise ValueError before anything is stored, so a refused upload leaves no
    object and no row.
    """
    # A record not yet flushed has no public id; the storage key needs it now.
    record.public_id = record.public_id or new_public_id()
    attachment = store_photo(
        record.organization_id, record.public_id, filename, data, caption, taken_by
    )
    record.attachments.append(attachment)
    return attachment


def store_photo(
    organization_id: int,
    record_public_id: str,
    filename: str,
    data: bytes,
    caption: str = "",
    taken_by: str = "",
) -> Attachment:
    """Upload the original and its rendition; the Attachment returned is in no session yet.

    It touches no database, so it may run on worker threads (the demo seed does) while the
    caller's thread attaches the rows. If the second upload fails the first is deleted.
    """
    rendition, content_type = make_rendition(data, filename)
    public_id = new_public_id()
    folder = keys.attachment_folder(organization_id, record_public_id, public_id)
    safe_name = safe_filename(filename)
    original_key, rendition_key = keys.original(folder, safe_name), keys.rendition(folder)
    s3.put_bytes(original_key, data, content_type)
    try:
        s3.put_bytes(rendition_key, rendition, "image/jpeg")
    except Exception:
        s3.delete(original_key)
        raise
    return Attachment(
        public_id=public_id,
        organization_id=organization_id,
        storage_key=original_key,
        rendition_key=rendition_key,
        filename=safe_name,
        content_type=content_type,
        byte_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        caption=caption[:300],
        taken_at=taken_at(data),
        taken_by=taken_by[:PERSON_NAME_MAX],
    )


def make_rendition(data: bytes, filename: str = "the file") -> tuple[bytes, str]:
    """The report-size JPEG and the original's content type; ValueError if it isn't an image."""
    try:
        with strict_decoding(), Image.open(io.BytesIO(data)) as image:
            content_type = _content_type(image.format)
            # Before the transpose, so the decoder can scale a large JPEG down as it reads.
            image.thumbnail((RENDITION_LONGEST_SIDE, RENDITION_LONGEST_SIDE))
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            _flatten_to_rgb(upright).save(out, "JPEG", quality=RENDITION_QUALITY)
    except UNREADABLE as exc:
        raise ValueError(
            f"{filename!r} is not a photo Sitepack can read: the file is damaged or not an image"
        ) from exc
    return out.getvalue(), content_type


def taken_at(data: bytes) -> datetime | None:
    """EXIF DateTimeOriginal, as the camera's own clock wrote it (EXIF 2.3 has no zone for
    it), or None when the photo has none or it is no date. Read once, here, at ingest: the
    PDF shows the stored value and never opens the original again."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            written = image.getexif().get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL)
    except UNREADABLE:
        return None
    if not isinstance(written, str):
        return None
    try:
        return datetime.strptime(written.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _content_type(image_format: str | None) -> str:
    known = CONTENT_TYPES.get(image_format) or Image.MIME.get(image_format or "")
    return known or "application/octet-stream"


def safe_filename(filename: str) -> str:
    """A name safe as the last part of a storage key; never empty."""
    return secure_filename(filename)[:200] or "photo"


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: transparent areas become white rather than black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
