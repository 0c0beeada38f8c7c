"""An archival record PDF is PDF/A-3a and tagged PDF/UA-1 in one file; a plain one is neither.

The acceptance list of issue 20, read back with pikepdf from one render (module-scoped):
identification, output intent, fonts, metadata, structure, and the footer as artifacts.
"""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest

from jobs.render import MemoryPhotos, render_pdf
from jobs.snapshot import ChecklistLine, PhotoRef
from portal.renders.entries import Look
from tests.factories import PHOTO_KEY, jpeg, record_snapshot

LINES = tuple(ChecklistLine(f"Item {n}", "pass", "") for n in range(70))  # two pages
PHOTOS = (
    PhotoRef(PHOTO_KEY, "a" * 64, "North bay", "north.jpg"),
    PhotoRef(PHOTO_KEY, "a" * 64, "", "IMG_0002.jpg"),
)


def rendered(archival: bool) -> bytes:
    snap = record_snapshot("NCR-0007", look=Look("A4", archival), checklist=LINES, photos=PHOTOS)
    return render_pdf(snap, MemoryPhotos({PHOTO_KEY: jpeg()}))


@pytest.fixture(scope="module")
def archival_bytes() -> bytes:
    return rendered(archival=True)


@pytest.fixture
def pdf(archival_bytes):
    with pikepdf.open(io.BytesIO(archival_bytes)) as opened:
        yield opened


PDFAID, PDFUAID = "{http://www.aiim.org/pdfa/ns/id/}", "{http://www.aiim.org/pdfua/ns/id/}"
DC, XMP = "{http://purl.org/dc/elements/1.1/}", "{http://ns.adobe.com/xap/1.0/}"


def xmp(pdf) -> dict:
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        return dict(meta.items())


def elements(node):
    """Every structure element under `node`, depth first."""
    for kid in node.get("/K", []):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from elements(kid)


def test_xmp_says_pdf_a_3a_and_pdf_ua_1_with_the_records_own_metadata(pdf):
    meta = xmp(pdf)

    assert (meta[PDFAID + "part"], meta[PDFAID + "conformance"]) == ("3", "A")
    assert meta[PDFUAID + "part"] == "1"
    assert meta[DC + "title"] == "NCR-0007 — Slab pour check NCR-0007"
    assert meta[DC + "creator"] == ["Acme Build"]
    assert meta[DC + "description"] == "Inspection NCR-0007"
    assert meta[XMP + "CreateDate"] == "2026-01-02T08:30:00Z"
    assert meta[XMP + "ModifyDate"] == "2026-01-03T09:15:00Z"
    assert str(pdf.docinfo["/CreationDate"]) == "D:20260102083000Z"


def test_pdfuaid_is_declared_by_a_pdf_a_extension_schema(pdf):
    packet = pdf.Root.Metadata.read_bytes()

    assert b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in packet
    assert b"<pdfaProperty:name>part</pdfaProperty:name>" in packet


def test_srgb_output_intent_embedded_fonts_a_file_id_and_no_encryption(pdf):
    [intent] = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3
    assert len(pdf.trailer.ID) == 2 and not pdf.is_encrypted
    for page in pdf.pages:
        assert "/Group" not in page
        for font in page.Resources.Font.values():
            descriptor = font.get("/DescendantFonts", [font])[0].FontDescriptor
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys())


def test_marked_with_language_and_the_title_shown_in_the_window(pdf):
    assert pdf.Root.MarkInfo.Marked is True
    assert str(pdf.Root.Lang) == "en"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
    assert "/StructTreeRoot" in pdf.Root


def test_headings_tables_with_header_cells_and_photos_with_alternative_text(pdf):
    tags = [str(e.S) for e in elements(pdf.Root.StructTreeRoot)]
    figures = [e for e in elements(pdf.Root.StructTreeRoot) if e.S == "/Figure"]

    assert tags.count("/H1") == 1 and tags.count("/H2") >= 3
    headed = [e for e in elements(pdf.Root.StructTreeRoot) if e.S == "/TD" and "/Headers" in e.A]
    assert tags.count("/Table") >= 3 and "/THead" in tags
    assert tags.count("/TH") >= 7 + 4  # the details' row headers, the checklist's head
    assert len(headed) >= 7 + 70
    assert [str(f.Alt) for f in figures] == ["North bay", "Photo 2 of NCR-0007"]


def shown_in_artifacts(page) -> int:
    """How many text-showing operators of the page sit inside an /Artifact sequence."""
    stack, shown = [], 0
    for op in pikepdf.parse_content_stream(page):
        name = str(op.operator)
        if name in ("BMC", "BDC"):
            stack.append(str(op.operands[0]))
        elif name == "EMC":
            stack.pop()
        elif name in ("Tj", "TJ") and "/Artifact" in stack:
            shown += 1
    return shown


def test_every_tagged_sequence_belongs_to_the_tree_and_the_footer_is_an_artifact(pdf):
    """WeasyPrint 70 alone leaves the margin boxes' text tagged but outside the tree."""
    reachable = {e.objgen for e in elements(pdf.Root.StructTreeRoot)}
    for number, page in enumerate(pdf.pages):
        owners = pdf.Root.StructTreeRoot.ParentTree.Nums[2 * number + 1]
        ops = pikepdf.parse_content_stream(page)
        mcids = [int(o.operands[1].MCID) for o in ops if str(o.operator) == "BDC"]
        assert all(owners[mcid].objgen in reachable for mcid in mcids)
        assert shown_in_artifacts(page) >= 2  # the footer's link and its page number


def test_qpdf_finds_nothing_wrong(archival_bytes, tmp_path):
    path = tmp_path / "record.pdf"
    path.write_bytes(archival_bytes)

    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)

    assert check.returncode == 0, check.stdout + check.stderr


def test_a_plain_pdf_is_untagged_and_claims_no_standard():
    with pikepdf.open(io.BytesIO(rendered(archival=False))) as plain:
        assert "/StructTreeRoot" not in plain.Root and "/OutputIntents" not in plain.Root
        assert "/Metadata" not in plain.Root and "/ID" not in plain.trailer
