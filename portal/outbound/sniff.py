"""What a downloaded file is, judged by its first bytes, not by what its server says.

A link bundle stores files from servers nobody at Sitepack controls: a page that answers an
error as HTML with a 200, or a file named `plan.pdf` that is a login form, must not reach the
zip as if it were the document. So the type is read from the bytes; the server's
Content-Type only refines a container the bytes cannot tell apart cheaply (a .docx and a zip
are both zips; .doc, .xls and .ppt are all OLE2 files; CSV is text).

A table, not a library: `filetype` (1.2.0) and `puremagic` (2.2.0) know most binary formats
but neither tells text from HTML nor knows DXF, which is what this allowlist turns on; the
signatures below are the handful it needs. The HTML prefixes are the WHATWG MIME Sniffing
standard's, and so is its set of bytes that never occur in text.
"""

from __future__ import annotations

import re

# Bytes enough for every test below.
HEAD_BYTES = 1024
UNKNOWN = "application/octet-stream"
OOXML = "application/vnd.openxmlformats-officedocument."
OLE2_OFFICE = ("application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint")

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"AC10", "image/vnd.dwg"),  # AC1012 … AC1032: every AutoCAD release since R13
)
HEIC_BRANDS = (b"heic", b"heix", b"mif1", b"msf1")
HTML = re.compile(
    rb"\s*<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--)[\s>]",
    re.IGNORECASE,
)
XML = re.compile(rb"\s*<\?xml", re.IGNORECASE)
# A DXF file is text: group code 0, then SECTION (the HEADER or the first other section).
DXF = re.compile(rb"\s*0\r?\n\s*SECTION\r?\n")
# WHATWG's binary data bytes: none of them occurs in text.
BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
# Types a server may name for a container the bytes show, and be believed.
REFINES = {
    "application/zip": lambda declared: declared.startswith(OOXML),
    "application/x-ole-storage": lambda declared: declared in OLE2_OFFICE,
    "text/plain": lambda declared: declared == "text/csv",
}
FOUND = frozenset(
    {mime for _, mime in SIGNATURES}
    | {"image/webp", "image/heic", "image/vnd.dxf", "text/html", "text/xml", "text/plain", UNKNOWN}
)


def sniff(head: bytes, declared: str | None = None) -> str:
    """The MIME type of a file that starts with `head` (HEAD_BYTES of it, or all if shorter);
    `declared` is the server's Content-Type, believed only where REFINES says."""
    found = _by_bytes(head)
    declared = (declared or "").split(";")[0].strip().lower()
    refines = REFINES.get(found)
    return declared if refines and refines(declared) else found


def can_return(mime: str) -> bool:
    """Whether `sniff` ever answers `mime`: an allowlist naming anything else is a typo."""
    return mime in FOUND or any(refines(mime) for refines in REFINES.values())


def _by_bytes(head: bytes) -> str:
    for prefix, mime in SIGNATURES:
        if head.startswith(prefix):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    text = head.removeprefix(b"\xef\xbb\xbf")
    if BINARY.search(text):
        return UNKNOWN
    if HTML.match(text):
        return "text/html"
    if XML.match(text):
        return "text/xml"
    return "image/vnd.dxf" if DXF.match(text) else "text/plain"
