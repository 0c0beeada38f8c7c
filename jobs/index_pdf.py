"""00-INDEX.pdf: what an export holds, as the first file of its zip and of its combined PDF.

Drawn with ReportLab's canvas, line by line, rather than by the record template's HTML
engine: an index of 10,000 records is 300 pages that WeasyPrint would lay out as one
document in minutes and hundreds of MB, where the canvas takes a second and keeps only each
finished page's drawing (a few KB). The export's time is printed here (and in the
manifests) and never in a record's PDF, whose bytes stay reproducible.

The head says what the export produced (archival record PDFs or plain, signed or not); a
signed index keeps a box free beside its facts, where jobs/handover.py puts the visible
signature that `draw_signature` draws.

`render` answers where it drew each record's line (`Spot`), so the combined PDF can link
each line to its record's first page (jobs/combined.py). An export across projects has a
section per project: a heading row before each project's lines (they arrive grouped). The
page's head, `draw_banner`, is in the organisation's look as its record PDFs are: the band in
its accent colour and its logo on a white tile at the band's right.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from jobs.manifest import utc_stamp
from portal.branding.brand import DEFAULT_ACCENT
from portal.vocabulary import kind_label, pdf_label, sign_label, status_label

INDEX_NAME = "00-INDEX.pdf"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # fonts-dejavu-core: every script's Latin
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAPERS = {"A4": A4, "Letter": LETTER}
MARGIN = 15 * mm
ROW = 22  # points: a record's line and its file name under it
FACT_ROWS = 7  # the head's lines of facts, 13 points each
BAND = 24 * mm  # the coloured band at the top of the first page
BANNER = BAND + 16 + FACT_ROWS * 13 + 8  # the first page's head, above the table
TABLE_HEAD = 16
NAVY = (0.11, 0.19, 0.33)
SIGNATURE = (190, 72)  # the visible signature's width and height, beside the facts
LOGO_TILE = (44 * mm, 16 * mm)  # the white tile that holds the logo, at most this size
LOGO_PAD = 2 * mm
RULE = (0.35, 0.35, 0.35)  # under the column heads
TITLE_SIZES = (15, 14, 13, 12, 11)  # the largest that fits beside the logo; then cut with "…"
# Each column's left edge, as a share of the text width, and what it shows.
COLUMNS = (
    (0.00, "Reference"),
    (0.14, "Title"),
    (0.58, "Kind"),
    (0.69, "Status"),
    (0.80, "Assignee"),
    (0.95, "Pages"),
)

rl_config.invariant = 1  # no creation date or random id: the same index gives the same bytes


@dataclass(frozen=True)
class IndexHead:
    title: str
    projects: tuple[str, ...]
    requested_by: str
    exported_at: datetime
    selection: str  # how the records were chosen: a filter, or by hand
    paper: str
    archival: bool = False  # the record PDFs are PDF/A, and so are the index and combined PDF
    signed_by: str = ""  # the organisation that signs the index and combined PDF ("": unsigned)
    organization_id: int = 0
    accent: str = DEFAULT_ACCENT  # the organisation's look (portal/branding/brand.py)
    logo: bytes | None = None  # its logo, the stored PNG (portal/branding/store.logo_bytes)


@dataclass(frozen=True)
class IndexLine:
    """A record as its line says it, in the zip's order; no file when it failed."""

    reference: str
    title: str
    kind: str
    status: str
    assignee: str
    pages: int | None
    file: str
    part: int | None = None
    project: str = ""


@dataclass(frozen=True)
class Spot:
    """Where a record's line is: its page (0-based) and rectangle, in points."""

    page: int
    rect: tuple[float, float, float, float]


def sections(lines: Sequence[IndexLine]) -> list[str]:
    """The projects the lines run through, in their order: one section each when there are
    several, none when there is one (its name is in the head)."""
    projects = list(dict.fromkeys(line.project for line in lines))
    return projects if len(projects) > 1 else []


def pages_needed(lines: int, paper: str) -> int:
    """The index's page count for this many rows (lines and section headings), known before
    it is drawn (its footers say "page 2 of 9")."""
    height = PAPERS.get(paper, A4)[1]
    first = _rows_below(height - BANNER - TABLE_HEAD)
    other = _rows_below(height - MARGIN - TABLE_HEAD)
    return 1 + max(0, -(-(lines - first) // other))


def render(head: IndexHead, lines: Sequence[IndexLine], target: str | Path) -> list[Spot]:
    """Draws the index into `target`; answers each line's spot, in the lines' order."""
    _fonts()
    width, height = PAPERS.get(head.paper, A4)
    canvas = Canvas(str(target), pagesize=(width, height), pageCompression=1, initialFontName=FONT)
    canvas.setTitle(f"Index — {head.title}")
    counts = Counter(line.project for line in lines) if sections(lines) else Counter()
    total = pages_needed(len(lines) + len(counts), head.paper)
    y = draw_banner(canvas, head, lines, width, height)
    y = _column_heads(canvas, width, y)
    spots, page, project = [], 0, None
    for line in lines:
        if counts and line.project != project:
            page, y = _room(canvas, head, page, total, y)
            _section(canvas, line.project, counts[line.project], width, y)
            y, project = y - ROW, line.project
        page, y = _room(canvas, head, page, total, y)
        spots.append(Spot(page, (MARGIN, y - ROW, width - MARGIN, y)))
        _line(canvas, line, width, y)
        y -= ROW
    _footer(canvas, head, page, total, width)
    canvas.save()
    return spots


def draw_banner(canvas: Canvas, head: IndexHead, lines: Sequence[IndexLine], width, height):
    """The first page's head: name (beside the logo), project(s), who and when, the
    selection, the counts. Answers the height where the table starts."""
    canvas.setFillColor(HexColor(head.accent))
    canvas.rect(0, height - BAND, width, BAND, stroke=0, fill=1)
    tile = _logo_tile(canvas, head.logo, width, height)
    room = width - 2 * MARGIN - (tile + MARGIN if tile else 0)
    size = next((s for s in TITLE_SIZES if pdfmetrics.stringWidth(head.title, BOLD, s) <= room),
                TITLE_SIZES[-1])  # fmt: skip
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(BOLD, size)
    canvas.drawString(MARGIN, height - 15 * mm, _fit(head.title, BOLD, size, room))
    canvas.setFillColorRGB(0, 0, 0)
    y = height - BAND - 16
    kinds = Counter(kind_label(line.kind) for line in lines)
    states = Counter(status_label(line.status) for line in lines if line.status)
    facts = (  # FACT_ROWS of them
        ("Projects" if len(head.projects) > 1 else "Project", ", ".join(head.projects)),
        ("Exported by", head.requested_by),
        ("Exported at", f"{utc_stamp(head.exported_at)} (UTC)"),
        ("Selection", head.selection),
        ("Records", f"{len(lines):,}: " + _counts(kinds)),
        ("By status", _counts(states) or "—"),
        ("Produced", produced(head)),
    )
    room = width - 2 * MARGIN - 26 * mm - (SIGNATURE[0] + 8 if head.signed_by else 0)
    for label, value in facts:
        canvas.setFont(BOLD, 9)
        canvas.drawString(MARGIN, y, label)
        canvas.setFont(FONT, 9)
        canvas.drawString(MARGIN + 26 * mm, y, _fit(value, FONT, 9, room))
        y -= 13
    return height - BANNER


def produced(head: IndexHead) -> str:
    """What the export made, in the words the export page uses."""
    return f"{pdf_label(head.archival)} · {sign_label(bool(head.signed_by))}"


def signature_box(paper: str) -> tuple[float, float, float, float]:
    """Where a signed index's visible signature stands on its first page, in points."""
    width, height = PAPERS.get(paper, A4)
    top = height - BAND - 6
    return (width - MARGIN - SIGNATURE[0], top - SIGNATURE[1], width - MARGIN, top)


def draw_signature(head: IndexHead, signed_at: datetime, target: str | Path) -> None:
    """The visible signature's face, a page of its own box's size (pyHanko stamps it into
    the signature's field): who signed and when, in the index's embedded font."""
    _fonts()
    width, height = SIGNATURE
    canvas = Canvas(str(target), pagesize=SIGNATURE, pageCompression=1, initialFontName=FONT)
    canvas.setStrokeColorRGB(*NAVY)
    canvas.setLineWidth(1.2)
    canvas.rect(1, 1, width - 2, height - 2, stroke=1, fill=0)
    canvas.setFillColorRGB(*NAVY)
    canvas.setFont(BOLD, 9)
    canvas.drawString(8, height - 16, "Digitally signed")
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(FONT, 8.5)
    canvas.drawString(8, height - 31, _fit(head.signed_by, FONT, 8.5, width - 16))
    canvas.drawString(8, height - 44, f"{utc_stamp(signed_at)} (UTC)")
    canvas.setFont(FONT, 6.5)
    canvas.setFillColorRGB(0.35, 0.35, 0.35)
    canvas.drawString(8, 10, "PAdES signature: a changed byte breaks it")
    canvas.save()


def _logo_tile(canvas: Canvas, logo: bytes | None, width: float, height: float) -> float:
    """The logo, scaled to fit LOGO_TILE, on a white tile at the band's right, centred in
    it; answers the width it took (0 without a logo)."""
    if not logo:
        return 0
    image = ImageReader(io.BytesIO(logo))
    pixels_wide, pixels_high = image.getSize()
    scale = min(
        (LOGO_TILE[0] - 2 * LOGO_PAD) / pixels_wide, (LOGO_TILE[1] - 2 * LOGO_PAD) / pixels_high
    )
    drawn = (pixels_wide * scale, pixels_high * scale)
    tile = (drawn[0] + 2 * LOGO_PAD, drawn[1] + 2 * LOGO_PAD)
    left, bottom = width - MARGIN - tile[0], height - (BAND + tile[1]) / 2
    canvas.setFillColorRGB(1, 1, 1)
    canvas.roundRect(left, bottom, *tile, radius=1.5 * mm, stroke=0, fill=1)
    canvas.drawImage(image, left + LOGO_PAD, bottom + LOGO_PAD, *drawn, mask="auto")
    return tile[0]


def _counts(counter: Counter) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in sorted(counter.items()))


def _column_heads(canvas: Canvas, width: float, y: float) -> float:
    canvas.setFont(BOLD, 8)
    text = width - 2 * MARGIN
    for share, name in COLUMNS:
        canvas.drawString(MARGIN + share * text, y - 10, name)
    canvas.setStrokeColorRGB(*RULE)
    canvas.line(MARGIN, y - 13, width - MARGIN, y - 13)
    return y - TABLE_HEAD


def _room(canvas: Canvas, head: IndexHead, page: int, total: int, y: float) -> tuple[int, float]:
    """The page and height of the next row: a new page when this one is full."""
    if y - ROW >= MARGIN + 12:
        return page, y
    width, height = PAPERS.get(head.paper, A4)
    _footer(canvas, head, page, total, width)
    canvas.showPage()
    return page + 1, _column_heads(canvas, width, height - MARGIN)


def _section(canvas: Canvas, project: str, count: int, width, y) -> None:
    """A project's heading row: its name and how many records it has here."""
    canvas.setFillColorRGB(*NAVY)
    canvas.setFont(BOLD, 10)
    text = f"{project} — {count:,} record{'' if count == 1 else 's'}"
    canvas.drawString(MARGIN, y - 14, _fit(text, BOLD, 10, width - 2 * MARGIN))
    canvas.setFillColorRGB(0, 0, 0)


def _line(canvas: Canvas, line: IndexLine, width: float, y: float) -> None:
    text = width - 2 * MARGIN
    pages = "—" if line.pages is None else str(line.pages)
    cells = (line.reference, line.title, kind_label(line.kind), status_label(line.status),
             line.assignee, pages)  # fmt: skip
    edges = [share for share, _ in COLUMNS] + [1.0]
    canvas.setFont(FONT, 8.5)
    for n, cell in enumerate(cells):
        room = (edges[n + 1] - edges[n]) * text - 4
        canvas.drawString(MARGIN + edges[n] * text, y - 10, _fit(cell, FONT, 8.5, room))
    canvas.setFont(FONT, 7)
    canvas.setFillColorRGB(0.35, 0.35, 0.35)
    where = line.file if line.file else "no PDF: see ERRORS.txt"
    if line.part:
        where = f"part {line.part} · {where}"
    canvas.drawString(MARGIN + edges[1] * text, y - 19, _fit(where, FONT, 7, text * 0.86))
    canvas.setFillColorRGB(0, 0, 0)


def _footer(canvas: Canvas, head: IndexHead, page: int, total: int, width: float) -> None:
    canvas.setFont(FONT, 7)
    canvas.drawString(MARGIN, MARGIN - 4, _fit(head.title, FONT, 7, width / 2))
    canvas.drawRightString(width - MARGIN, MARGIN - 4, f"Index · page {page + 1} of {total}")


def _rows_below(top: float) -> int:
    """The lines that fit between `top` and the footer, as `render` breaks its pages."""
    return int((top - MARGIN - 12) // ROW)


def _fit(text: str, font: str, size: float, room: float) -> str:
    """`text` on one line, cut with "…" where it would pass `room` points."""
    text = " ".join(str(text).split())
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with its ellipsis
        mid = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:mid] + "…", font, size) <= room:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "…"


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
