"""The type of a file is read from its first bytes; the server's word refines containers only."""

from __future__ import annotations

import pytest

from portal.config import BUNDLE_TYPES
from portal.outbound.sniff import can_return, sniff

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"PK\x03\x04\x14\x00\x06\x00", "application/zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "application/x-ole-storage"),
        (b"AC1027\x00\x00\x00", "image/vnd.dwg"),
        (b"  0\r\nSECTION\r\n  2\r\nHEADER\r\n", "image/vnd.dxf"),
        (b"Site diary, 3 March\nconcrete poured\n", "text/plain"),
        (b"\xef\xbb\xbfref;title\nNCR-1;Crack\n", "text/plain"),
        (b"\n  <!DOCTYPE html><html>", "text/html"),
        (b"<HTML><body>Log in", "text/html"),
        (b"<p>Not found</p>", "text/html"),
        (b"<?xml version='1.0'?><svg", "text/xml"),
        (b"MZ\x90\x00\x03\x00", "application/octet-stream"),
    ],
)
def test_the_first_bytes_decide(head, found):
    assert sniff(head, "application/pdf") == found


def test_a_container_takes_the_servers_finer_name_and_nothing_else():
    assert sniff(b"PK\x03\x04", DOCX) == DOCX
    assert sniff(b"PK\x03\x04", "application/pdf") == "application/zip"
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword") == "application/msword"
    assert sniff(b"a;b\n1;2\n", "text/csv; charset=utf-8") == "text/csv"
    assert sniff(b"<html>", "text/csv") == "text/html"


def test_every_default_bundle_type_is_one_the_sniffer_can_find():
    assert all(can_return(mime) for mime in BUNDLE_TYPES)
    assert not can_return("application/pfd")
