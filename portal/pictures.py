"""A PNG or JPEG someone uploaded, drawn again as a PNG of Sitepack's own making.

Logos (portal/branding/logos.py) and sign-off signatures (portal/signatures.py) reach the
renderer and mail clients only as what this module writes: decoded strictly (a cut-off file
is refused, not greyed in), the picture's size checked before its pixels are read (a
decompression bomb is refused), and saved again, so the same upload gives the same bytes.
"""

from __future__ import annotations

import io

from PIL import Image

from portal.imaging import strict_decoding
from portal.photos import UNREADABLE

MAX_PIXELS = 25_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


class PictureRefused(ValueError):
    """Not a picture Sitepack will show; the message says why, for a form or a problem."""


def is_raster(data: bytes) -> bool:
    return data.startswith((PNG_SIGNATURE, JPEG_SIGNATURE))


def decoded(data: bytes, what: str) -> Image.Image:
    """The picture, fully decoded; `what` names it in the reason ("The logo")."""
    try:
        with strict_decoding(), Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PictureRefused(f"{what}'s picture is too large: use one under 25 megapixels.")
            image.load()
            return image.copy()
    except PictureRefused:
        raise
    except UNREADABLE:
        raise PictureRefused(f"{what} file is damaged or not an image.") from None


def as_png(image: Image.Image, box: tuple[int, int]) -> bytes:
    """Drawn again, fitting `box`, as an RGBA PNG."""
    image = image.convert("RGBA")
    image.thumbnail(box)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
