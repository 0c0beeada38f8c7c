import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal import photos
from portal.extensions import db
from portal.models import Attachment
from portal.storage import client as s3
from tests import factories


@pytest.fixture
def record(app, world):
    s3.ensure_bucket()
    made = factories.record(world.project_a)
    db.session.commit()
    return made


def jpeg(size: tuple[int, int], orientation: int | None = None) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    exif = image.getexif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def stored_keys() -> list[str]:
    listing = s3.boto().list_objects_v2(Bucket=s3.bucket(), Prefix="attachments/")
    return [item["Key"] for item in listing.get("Contents", [])]


def rendition_size(attachment: Attachment) -> tuple[int, int]:
    with Image.open(io.BytesIO(s3.get_bytes(attachment.rendition_key))) as image:
        assert image.format == "JPEG"
        return image.size


def test_rendition_is_report_size_jpeg(record):
    attachment = photos.ingest_photo(record, "slab.jpg", jpeg((3200, 2400)))

    assert rendition_size(attachment) == (1600, 1200)
    assert attachment.rendition_key.endswith(f"/{attachment.public_id}/rendition.jpg")


def test_rendition_applies_exif_orientation(record):
    attachment = photos.ingest_photo(record, "turned.jpg", jpeg((3000, 2000), orientation=6))

    assert rendition_size(attachment) == (1067, 1600)


def test_small_photo_is_not_upscaled(record):
    attachment = photos.ingest_photo(record, "small.jpg", jpeg((640, 480)))

    assert rendition_size(attachment) == (640, 480)


def test_transparent_png_gets_a_white_jpeg_rendition(record):
    out = io.BytesIO()
    Image.new("RGBA", (400, 300), (0, 0, 0, 0)).save(out, "PNG")

    attachment = photos.ingest_photo(record, "plan.png", out.getvalue())

    assert attachment.content_type == "image/png"
    with Image.open(io.BytesIO(s3.get_bytes(attachment.rendition_key))) as image:
        assert image.mode == "RGB" and image.getpixel((10, 10)) == (255, 255, 255)


def test_original_round_trips_with_its_sha256(record):
    data = jpeg((2000, 1500))

    attachment = photos.ingest_photo(record, "../Level 3/pour #1.jpg", data, caption="Pour")
    db.session.commit()

    assert s3.get_bytes(attachment.storage_key) == data
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.byte_size == len(data)
    assert attachment.content_type == "image/jpeg"
    assert attachment.record_id == record.id
    org, record_id, attachment_id, name = attachment.storage_key.split("/")[1:]
    assert (org, record_id, attachment_id) == (
        str(record.organization_id),
        record.public_id,
        attachment.public_id,
    )
    assert name == attachment.filename == "Level_3_pour_1.jpg"


@pytest.mark.parametrize("data", [b"", b"not a photo at all", jpeg((800, 600))[:3000]])
def test_unreadable_image_is_refused_with_nothing_stored(record, data):
    with pytest.raises(ValueError, match="is not a photo Sitepack can read"):
        photos.ingest_photo(record, "broken.jpg", data)
    db.session.commit()

    assert stored_keys() == []
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_failed_rendition_upload_leaves_no_original_behind(record, monkeypatch):
    real_put = s3.put_bytes

    def put_failing_renditions(key, data, content_type):
        if key.endswith("/rendition.jpg"):
            raise ConnectionError("S3 went away")
        real_put(key, data, content_type)

    monkeypatch.setattr(s3, "put_bytes", put_failing_renditions)

    with pytest.raises(ConnectionError):
        photos.ingest_photo(record, "slab.jpg", jpeg((800, 600)))

    assert stored_keys() == []
    assert record.attachments == []
