"""An uploaded logo becomes a PNG Sitepack drew; nothing in an SVG can run or reach out."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from portal.branding.logos import LOGO_BOX, LOGO_MAX_BYTES, LogoRefused, prepared_logo
from tests.branding import logos
from tests.branding.logos import MAGENTA


def opened(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_png_or_jpeg_is_drawn_again_as_a_png_within_the_logo_box(fmt):
    image = opened(prepared_logo(logos.raster(fmt, (3000, 1000))))
    assert image.width <= LOGO_BOX[0] and image.height <= LOGO_BOX[1]
    red, green, blue, _ = image.getpixel((image.width // 2, image.height // 2))
    assert abs(red - MAGENTA[0]) + abs(green - MAGENTA[1]) + abs(blue - MAGENTA[2]) < 12


def test_an_svg_is_rasterised_and_the_same_upload_gives_the_same_bytes():
    png = prepared_logo(logos.svg())
    image = opened(png)
    assert image.getpixel((10, 10))[:3] == MAGENTA
    assert prepared_logo(logos.svg()) == png


@pytest.mark.parametrize(
    "data, says",
    [
        (b"", "Choose a logo file"),
        (b"GIF89a" + b"\0" * 40, "must be a PNG, JPEG or SVG"),
        (b"%PDF-1.7", "must be a PNG, JPEG or SVG"),
        (logos.raster("PNG")[:60], "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (LOGO_MAX_BYTES), "over 1024 KB"),
        (b"<svg", "not well-formed"),
        (b'<?xml version="1.0"?><html/>', "not an SVG"),
        (logos.svg().replace(b'viewBox="0 0 300 100"', b""), "no size"),
        (logos.svg().replace(b"0 0 300 100", b"0 0 1 100000"), "not shaped like a logo"),
    ],
    ids=["empty", "gif", "pdf", "cut png", "too big", "broken svg", "not svg", "no size", "tall"],
)
def test_what_is_not_a_usable_logo_is_refused_with_the_reason(data, says):
    with pytest.raises(LogoRefused, match=says):
        prepared_logo(data)


def test_a_png_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")
    with pytest.raises(LogoRefused, match="too large"):
        prepared_logo(out.getvalue())


@pytest.fixture
def tripwire():
    """An HTTP server that counts every request: a hostile SVG's target."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/x.png", hits
    server.shutdown()


def test_every_hostile_svg_is_refused_and_nothing_is_fetched(tripwire):
    url, hits = tripwire
    for name, data in logos.hostile(url).items():
        with pytest.raises(LogoRefused):
            prepared_logo(data)
            pytest.fail(f"{name} was accepted")
    assert hits == []
