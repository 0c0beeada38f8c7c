"""A bundle's zip entry names: the name asked for, the server's, the URL's, or "download";
cleaned like a record's, with an extension for the sniffed type when the name has none."""

from __future__ import annotations

import pytest

from jobs.links import entry_name
from portal.exports.options import LinkIn
from portal.outbound.download import Download

URL = "https://docs.example/files/A-101%20rev%20C.pdf?download=1"


def fetched(content_type="application/pdf", filename=None, final_url=URL) -> Download:
    return Download(URL, size=1, content_type=content_type, filename=filename, final_url=final_url)


@pytest.mark.parametrize(
    ("asked", "download", "name"),
    [
        ("Drawings/A-101 rev C.pdf", fetched(filename="x.pdf"), "Drawings/A-101 rev C.pdf"),
        ("../../etc/./passwd", fetched(), "etc/passwd.pdf"),
        ("Specs//Concrete", fetched(), "Specs/Concrete.pdf"),
        ("Specs/CON:<1>.docx", fetched("application/zip"), "Specs/CON--1-.docx"),
        (None, fetched(filename="Chained report.pdf"), "Chained report.pdf"),
        (None, fetched(filename="../../secret/evil.pdf"), "evil.pdf"),
        (None, fetched(filename="C:\\Users\\me\\plan.pdf"), "plan.pdf"),
        (None, fetched(), "A-101 rev C.pdf"),
        (None, fetched("image/jpeg", final_url="https://docs.example/photo"), "photo.jpg"),
        (None, fetched(final_url="https://docs.example/"), "download.pdf"),
        (None, fetched("text/plain", final_url=""), "A-101 rev C.pdf"),
    ],
)
def test_a_links_entry_is_named_as_asked_else_as_served_else_from_its_url(asked, download, name):
    assert entry_name(LinkIn(URL, asked), download) == name
