"""An organisation's uploaded logo becomes one small PNG that Sitepack made itself.

Whatever was uploaded (PNG, JPEG or SVG, told apart by content, never by name), the renderer
and the emails only ever see a PNG Sitepack drew: a JPEG or PNG is redrawn by
portal/pictures.py, an SVG is screened and then rasterised by resvg. So no script, no external
reference (`href`, `url(...)`, `@import`), no DTD or entity (billion laughs) ever reaches
WeasyPrint or a mail client; an SVG carrying one is refused with the reason, not changed.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import resvg_py
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image

from portal import pictures

LOGO_MAX_BYTES = 1024 * 1024  # an upload past this is refused before it is read as an image
# The stored PNG fits this box: the PDF's header shows it 14 mm high (about 300 dpi).
LOGO_BOX = (1200, 170)
SVG_RASTER_WIDTH = 1200  # an SVG is drawn this wide, whatever size it claims
FONT = "DejaVu Sans"  # text in an SVG logo, as in the PDFs (fonts-dejavu-core)
ACCEPTED = "PNG, JPEG or SVG"
WHAT = "The logo"
MAX_HEIGHT_RATIO = 4  # an SVG at most this many times taller than wide, so its raster stays small

_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "object", "embed", "handler"}
_NUMBER = re.compile(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?")
_EXTERNAL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)


LogoRefused = pictures.PictureRefused  # the upload is no logo Sitepack will show, and why


def prepared_logo(data: bytes) -> bytes:
    """The PNG to store for an uploaded logo; raises LogoRefused."""
    if not data:
        raise LogoRefused("Choose a logo file.")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoRefused(f"The logo is over {LOGO_MAX_BYTES // 1024} KB: upload a smaller file.")
    if pictures.is_raster(data):
        image = pictures.decoded(data, WHAT)
    elif _looks_like_svg(data):
        image = _rasterised(data)
    else:
        raise LogoRefused(f"The logo must be a {ACCEPTED} file.")
    return pictures.as_png(image, LOGO_BOX)


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg"))


def _rasterised(data: bytes) -> Image.Image:
    text, root = _screened_svg(data)
    _check_proportions(root)
    try:
        png = bytes(
            resvg_py.svg_to_bytes(svg_string=text, width=SVG_RASTER_WIDTH, font_family=FONT)
        )
    except ValueError:
        raise LogoRefused("The SVG could not be drawn: Sitepack finds no picture in it.") from None
    return pictures.decoded(png, WHAT)


def _screened_svg(data: bytes) -> tuple[str, Element]:
    """The SVG's text, once it is known to reach nothing outside itself; else LogoRefused."""
    try:
        text = data.decode("utf-8")
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (UnicodeDecodeError, ParseError):
        raise LogoRefused("The SVG is not well-formed UTF-8 XML.") from None
    except DefusedXmlException:
        raise LogoRefused("The SVG declares a DTD or entities: save it without them.") from None
    if _local(root.tag) != "svg":
        raise LogoRefused("The file is XML but not an SVG.")
    for element in root.iter():
        _screen(element)
    return text, root


def _check_proportions(root: Element) -> None:
    """Drawn SVG_RASTER_WIDTH wide, an SVG 1 unit wide and a million high would ask for a
    picture of gigabytes: its proportions are read first, from viewBox or width and height."""
    box = root.get("viewBox", "").replace(",", " ").split()
    sizes = box[2:4] if len(box) == 4 else [root.get("width", ""), root.get("height", "")]
    try:
        width, height = (float(_NUMBER.match(size.strip())[0]) for size in sizes)
    except TypeError:
        raise LogoRefused("The SVG has no size: give it a viewBox, or width and height.") from None
    if not (width > 0 and 0 < height <= width * MAX_HEIGHT_RATIO):
        raise LogoRefused("The SVG is not shaped like a logo: make it wider than it is tall.")


def _screen(element: Element) -> None:
    name = _local(element.tag)
    if name in _FORBIDDEN_ELEMENTS:
        raise LogoRefused(f"The SVG has a <{name}> element: a logo may not carry scripts or pages.")
    if name == "style" and _EXTERNAL.search(element.text or ""):
        raise LogoRefused("The SVG's style refers to another file: a logo must be self-contained.")
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        if local.startswith("on"):
            raise LogoRefused(f"The SVG has an event handler ({local}): a logo may not run code.")
        if local == "href" and not value.strip().startswith("#"):
            raise LogoRefused("The SVG links to another file: a logo must be self-contained.")
        if _EXTERNAL.search(value):
            raise LogoRefused("The SVG refers to another file: a logo must be self-contained.")


def _local(name: str) -> str:
    """`{namespace}name` → `name`, lower-cased: SVG is case-sensitive, browsers less so."""
    return name.rsplit("}", 1)[-1].lower()
