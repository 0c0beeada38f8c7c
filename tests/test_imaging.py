"""Damaged photos are caught even in a process where WeasyPrint loosened Pillow."""

import io

import pytest
import weasyprint  # noqa: F401  (importing it sets ImageFile.LOAD_TRUNCATED_IMAGES = True)
from PIL import Image, ImageFile

from jobs.render import MemoryPhotos, RenderError, render_pdf
from portal.photos import make_rendition
from tests.factories import PHOTO_KEY, record_snapshot


def truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()[:3000]


def test_weasyprint_really_loosens_pillow():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_ingest_refuses_a_truncated_jpeg_after_weasyprint_was_imported():
    with pytest.raises(ValueError, match="not a photo Sitepack can read"):
        make_rendition(truncated_jpeg())
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_render_refuses_a_truncated_jpeg_after_weasyprint_was_imported():
    with pytest.raises(RenderError, match="is damaged"):
        render_pdf(record_snapshot(), MemoryPhotos({PHOTO_KEY: truncated_jpeg()}))
