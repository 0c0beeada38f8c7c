"""00-INDEX.pdf: the export's name, project, who and when, the selection, counts by kind and
status, and one line per record in the zip's order, with its pages and file name."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from pypdf import PdfReader

from jobs.index_pdf import IndexHead, IndexLine, pages_needed, render

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
                 "6: 2 Inspection, 2 Issue, 1 NCR, 1 Task", "2 Closed, 4 Open"):  # fmt: skip
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
