"""00-INDEX.pdf: the export's name, project, who and when, the selection, counts by kind and
status, and one line per record in the zip's order, with its pages and file name; its head in
the organisation's look."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from jobs.contents import head_of
from jobs.index_pdf import IndexHead, IndexLine, pages_needed, render
from portal.branding import store
from portal.branding.logos import prepared_logo
from portal.exports import wording
from portal.extensions import db
from portal.models import ExportStatus
from tests import factories
from tests.branding import logos
from tests.branding.logos import MAGENTA

HEAD = IndexHead(
    title="Level 3 handover — 7 Dec 2026",
    projects=("Harbour View Tower",),
    requested_by="Mia Member <member@acme.test>",
    exported_at=datetime(2026, 12, 7, 19, 3, 4, 500_000),
    selection="API filter: Issue · Open",
    paper="A4",
)


def lines(count: int) -> list[IndexLine]:
    kinds, states = ("inspection", "issue", "ncr"), ("open", "closed")
    return [
        IndexLine(f"REF-{n:04d}", f"Façade panel {n}", kinds[n % 3], states[n % 2], "Zoë",
                  n % 4 + 1, f"Harbour View Tower/issue/REF-{n:04d}-facade.pdf")
        for n in range(count)
    ]  # fmt: skip


def test_the_index_says_what_the_export_is_and_lists_every_record_in_order(tmp_path):
    given = [*lines(5), IndexLine("REF-9999", "Broken photo", "task", "open", "", None, "")]
    spots = render(HEAD, given, tmp_path / "index.pdf")
    text = " ".join(PdfReader(tmp_path / "index.pdf").pages[0].extract_text().split())

    for said in ("Level 3 handover — 7 Dec 2026", "Harbour View Tower", "member@acme.test",
                 "2026-12-07T19:03:04Z (UTC)", "API filter: Issue · Open",
                 "6: 2 Inspection, 2 Issue, 1 NCR, 1 Task", "2 Closed, 4 Open",
                 "Plain PDF · Not signed"):  # fmt: skip
        assert said in text
    positions = [text.index(line.reference) for line in given]
    assert positions == sorted(positions)  # the zip's order
    assert "Harbour View Tower/issue/REF-0003-facade.pdf" in text
    assert "no PDF: see ERRORS.txt" in text
    assert [spot.page for spot in spots] == [0] * 6
    assert spots[0].rect[1] > spots[1].rect[1]  # each line below the one before


@pytest.mark.parametrize("count", [0, 26, 27, 100, 400])
def test_the_page_count_is_known_before_drawing_and_every_footer_says_it(tmp_path, count):
    spots = render(HEAD, lines(count), tmp_path / "index.pdf")
    pages = PdfReader(tmp_path / "index.pdf").pages
    assert len(pages) == pages_needed(count, "A4")
    assert f"Index · page {len(pages)} of {len(pages)}" in pages[-1].extract_text()
    assert sorted({spot.page for spot in spots}) == list(range(len(pages)) if count else [])


def test_a_long_title_is_cut_to_its_column_not_over_the_next(tmp_path):
    long = IndexLine("REF-1", "Slab " * 80, "issue", "open", "Ann", 2, "P/issue/REF-1.pdf")
    render(HEAD, [long], tmp_path / "index.pdf")
    text = PdfReader(tmp_path / "index.pdf").pages[0].extract_text()
    assert "Slab Slab" in text and "…" in text and ("Slab " * 80).strip() not in text


def colour_pixels(pdf: Path, tmp_path, colour: tuple[int, int, int]) -> int:
    """Pixels of `colour` in the top sixth of page 1, as pdftoppm draws it."""
    command = ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*command, pdf, tmp_path / "page"], check=True)
    with Image.open(tmp_path / "page.png") as page:
        band = page.convert("RGB").crop((0, 0, page.width, page.height // 6))
        return sum(
            count
            for count, pixel in band.getcolors(band.width * band.height)
            if sum(abs(a - b) for a, b in zip(pixel, colour, strict=True)) < 30
        )


def test_the_index_head_shows_the_organisations_logo_and_accent(tmp_path, world, bucket):
    store.change(world.org_a, accent="#0b6e4f", footer="", logo_png=prepared_logo(logos.svg()))
    db.session.commit()
    export = factories.export_in(ExportStatus.PROCESSING, world.member_a, world.project_a, 2)
    branded = head_of(export, HEAD.exported_at)
    render(branded, lines(3), tmp_path / "branded.pdf")
    render(HEAD, lines(3), tmp_path / "plain.pdf")

    assert colour_pixels(tmp_path / "branded.pdf", tmp_path, MAGENTA) > 200
    assert colour_pixels(tmp_path / "branded.pdf", tmp_path, (0x0B, 0x6E, 0x4F)) > 2000
    assert colour_pixels(tmp_path / "plain.pdf", tmp_path, MAGENTA) == 0
    text = PdfReader(tmp_path / "branded.pdf").pages[0].extract_text()
    assert wording.title(export) in text


def test_an_export_across_projects_has_a_section_per_project(tmp_path):
    given = [replace(line, project="Tower A" if n < 30 else "Depot B")
             for n, line in enumerate(lines(40))]  # fmt: skip
    spots = render(replace(HEAD, projects=("Depot B", "Tower A")), given, tmp_path / "index.pdf")
    pages = PdfReader(tmp_path / "index.pdf").pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)

    assert "Projects Depot B, Tower A" in text
    assert text.index("Tower A — 30 records") < text.index("REF-0000")
    assert text.index("REF-0029") < text.index("Depot B — 10 records") < text.index("REF-0030")
    assert len(pages) == pages_needed(len(given) + 2, "A4") and len(spots) == len(given)
