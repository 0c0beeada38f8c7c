"""The record PDF redrawn with ReportLab, for bench/template_bench.py only.

This exists to measure what a different engine would cost on the same report; Sitepack does
not render with it. It follows templates/pdf/record.html + record.css by eye (same content,
sizes and colours), takes the same RecordSnapshot and reads and checks its photos through
the same SnapshotFetcher, so its figure is comparable with WeasyPrint's. Long band texts do
not wrap here.
"""

from __future__ import annotations

import functools
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)
from reportlab.platypus.flowables import HRFlowable

from jobs.render import (
    PhotoSource,
    SnapshotFetcher,
    _format_day,
    _format_utc,
)
from jobs.snapshot import ChecklistLine, PhotoRef, RecordSnapshot
from portal.vocabulary import kind_label, status_label

FONTS = "/usr/share/fonts/truetype/dejavu/"
PAGES = {"A4": A4, "Letter": LETTER}
INK, MUTED, SOFT, NAVY = "#1d2430", "#5b6472", "#3a4350", "#1f3a5f"
LINE, PALE, RULE = "#e3e8ef", "#f4f6f9", "#d5dce6"
BADGE_COLOURS = {
    "open": "#1d6fb8", "in_progress": "#b86e00", "closed": "#2e7d32",
    "pass": "#2e7d32", "fail": "#c62828", "n/a": "#78828f",
}  # fmt: skip


@functools.cache
def _setup() -> None:
    """Fonts once; JPEGs written as binary (the ASCII85 default is pure Python here, ~0.5 s a
    record, and makes the file a quarter larger)."""
    rl_config.useA85 = 0
    for name, file in (("Sans", "DejaVuSans"), ("Sans-Bold", "DejaVuSans-Bold")):
        pdfmetrics.registerFont(TTFont(name, FONTS + file + ".ttf"))
    pdfmetrics.registerFont(TTFont("Sans-Oblique", FONTS + "DejaVuSans-Oblique.ttf"))


def _style(size: float, *, bold=False, color=INK, leading=1.45, font=None, **kw):
    font = font or ("Sans-Bold" if bold else "Sans")
    return ParagraphStyle(
        "s", fontName=font, fontSize=size, leading=size * leading, textColor=color, **kw
    )


BODY, SMALL = _style(9.5), _style(8, color=SOFT)
CELL_LABEL, COMMENT = _style(9.5, color=MUTED), _style(9.5, color=SOFT)
HEAD = _style(8, bold=True, color=MUTED)
REFERENCE = _style(20, bold=True, color=NAVY, leading=1.45)
TITLE = _style(15, bold=True, leading=1.25, spaceBefore=1 * mm, spaceAfter=2.5 * mm)
H2 = _style(11, bold=True, color=NAVY, spaceBefore=7 * mm, keepWithNext=True)
EMPTY = _style(9.5, color="#78828f", font="Sans-Oblique")


def _text(value) -> str:
    return escape(str(value)).replace("\n", "<br/>")


class Band(Flowable):
    """The navy header band: organisation, project, address; the kind boxed on the right."""

    def __init__(self, snapshot: RecordSnapshot):
        super().__init__()
        self.snapshot = snapshot
        project = snapshot.project
        self.lines = [(snapshot.organization.upper(), "Sans", 8, "#c9d6e8", 0.48)]
        code = f" ({project.code})" if project.code else ""
        self.lines.append((project.name + code, "Sans-Bold", 12, "#ffffff", 0))
        if project.address:
            self.lines.append((project.address, "Sans", 8, "#c9d6e8", 0))

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.height = 8 * mm + sum(size * 1.45 for _, _, size, _, _ in self.lines)
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.setFillColor(colors.HexColor(NAVY))
        c.roundRect(0, 0, self.width, self.height, 1.5 * mm, stroke=0, fill=1)
        y = self.height - 4 * mm
        for text, font, size, colour, spacing in self.lines:
            y -= size * 1.45
            c.setFont(font, size)
            c.setFillColor(colors.HexColor(colour))
            c.drawString(5 * mm, y + size * 0.4, text, charSpace=spacing)
        kind = kind_label(self.snapshot.kind).upper()
        width = pdfmetrics.stringWidth(kind, "Sans-Bold", 10) + len(kind) * 0.8 + 6 * mm
        box_h, x = 14.5 + 3.2 * mm, self.width - 5 * mm - width
        c.setStrokeColor(colors.HexColor("#c9d6e8"))
        c.setLineWidth(0.4 * mm)
        c.roundRect(x, (self.height - box_h) / 2, width, box_h, 1 * mm, stroke=1, fill=0)
        c.setFont("Sans-Bold", 10)
        c.setFillColor(colors.white)
        c.drawString(x + 3 * mm, self.height / 2 - 3.6, kind, charSpace=0.8)


class Pill(Flowable):
    """A status or result badge: white bold capitals on a rounded colour."""

    def __init__(self, label: str, key: str):
        super().__init__()
        self.label, self.colour = label.upper(), BADGE_COLOURS.get(key, MUTED)
        self.width = pdfmetrics.stringWidth(self.label, "Sans-Bold", 7.5)
        self.width += len(self.label) * 0.375 + 4.8 * mm
        self.height = 7.5 * 1.45 + 1.2 * mm

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.setFillColor(colors.HexColor(self.colour))
        c.roundRect(0, 0, self.width, self.height, 1 * mm, stroke=0, fill=1)
        c.setFillColor(colors.white)
        c.setFont("Sans-Bold", 7.5)
        c.drawString(2.4 * mm, self.height / 2 - 2.6, self.label, charSpace=0.375)


class JpegReader(ImageReader):
    """ImageReader names an image by hashing its decoded pixels, then embeds a JPEG as-is;
    hashing the JPEG's own bytes names it as well, without decoding ~2 MB of photos."""

    def __init__(self, data: bytes):
        super().__init__(BytesIO(data))
        self._raw, self._dataA = data, None

    def getRGBData(self):  # noqa: N802 (ReportLab's name)
        return self._raw


class Photo(Flowable):
    """A photo fitted into a 65 mm box on a pale ground, like `object-fit: contain`."""

    def __init__(self, data: bytes, width: float):
        super().__init__()
        self.image, self.width, self.height = JpegReader(data), width, 65 * mm

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        c.setFillColor(colors.HexColor(PALE))
        c.setStrokeColor(colors.HexColor(RULE))
        c.setLineWidth(0.2 * mm)
        c.rect(0, 0, self.width, self.height, stroke=1, fill=1)
        c.drawImage(self.image, 0, 0, self.width, self.height, preserveAspectRatio=True)


def _heading(text: str) -> list:
    rule = HRFlowable(width="100%", thickness=0.4 * mm, color=colors.HexColor(RULE))
    rule.spaceBefore, rule.spaceAfter, rule.keepWithNext = 1 * mm, 2.5 * mm, True
    return [Paragraph(text, H2), rule]


def _table(rows, widths, style, **kw) -> Table:
    return Table(rows, colWidths=widths, style=style, **kw)


def _cell_padding() -> list:
    return [
        ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6 * mm),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.2 * mm, colors.HexColor(LINE)),
    ]


def _fields(r: RecordSnapshot, width: float) -> Table:
    def pair(label, value):
        return [Paragraph(label, CELL_LABEL), Paragraph(_text(value), BODY)]

    rows = [
        pair("Location", r.location or "—") + pair("Trade", r.trade or "—"),
        pair("Assignee", r.assignee or "—") + pair("Due date", _format_day(r.due_date)),
        pair("Created", _format_utc(r.created_at)) + pair("Updated", _format_utc(r.updated_at)),
        pair("Version", r.version) + ["", ""],
    ]
    style = _cell_padding() + [
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor(PALE)),
        ("BACKGROUND", (2, 0), (2, 2), colors.HexColor(PALE)),
        ("SPAN", (1, 3), (3, 3)),
    ]
    return _table(rows, [width * f for f in (0.18, 0.32, 0.18, 0.32)], style)


def _checklist(items: tuple[ChecklistLine, ...], width: float) -> Table:
    rows = [[Paragraph(h, HEAD) for h in ("#", "Item", "Result", "Comment")]]
    for n, item in enumerate(items, start=1):
        rows.append([
            Paragraph(str(n), CELL_LABEL),
            Paragraph(_text(item.label), BODY),
            Pill(item.result, item.result),
            Paragraph(_text(item.comment), COMMENT),
        ])  # fmt: skip
    style = _cell_padding() + [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(PALE)),
        ("LINEBELOW", (0, 0), (-1, 0), 0.4 * mm, colors.HexColor(RULE)),
    ]
    widths = [width * f for f in (0.06, 0.42, 0.14, 0.38)]
    return _table(rows, widths, style, repeatRows=1)


def _caption(photo: PhotoRef) -> str:
    return _text(photo.caption or photo.filename)


def _photos(refs: tuple[PhotoRef, ...], photos: list[bytes], width: float) -> list[Table]:
    """One table per row, so the heading keeps with the first row only, not all of them."""
    cell_width = width / 2 - 2 * mm
    cells = [
        [Photo(data, cell_width), Spacer(1, 1.2 * mm), Paragraph(_caption(ref), SMALL)]
        for ref, data in zip(refs, photos, strict=True)
    ]
    style = [
        ("LEFTPADDING", (0, 0), (0, -1), 0), ("RIGHTPADDING", (0, 0), (0, -1), 2 * mm),
        ("LEFTPADDING", (1, 0), (1, -1), 2 * mm), ("RIGHTPADDING", (1, 0), (1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]  # fmt: skip
    rows = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
    return [_table([row], [width / 2] * 2, style) for row in rows]


def _story(r: RecordSnapshot, photos: list[bytes], width: float) -> list:
    story = [Band(r), Spacer(1, 6 * mm), Paragraph(_text(r.reference), REFERENCE)]
    story += [Paragraph(_text(r.title), TITLE)]
    story += [Pill(status_label(r.status), r.status), Spacer(1, 4 * mm)]
    story += [_fields(r, width)]
    if r.checklist:
        story += _heading("Checklist") + [_checklist(r.checklist, width)]
    story += _heading("Notes")
    if r.description:
        story.append(Paragraph(_text(r.description), BODY))
    else:
        story.append(Paragraph("No notes.", EMPTY))
    if r.photos:
        story += _heading("Photos") + _photos(r.photos, photos, width)
    return story


def _footer_canvas(footer: str):
    """A canvas that holds its pages back until the end, so each can say "of N"."""

    class FooterCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self.setFont("Sans", 7.5)
                self.setFillColor(colors.HexColor(MUTED))
                y = 20 * mm - 4 * mm - 7.5
                self.drawString(15 * mm, y, footer)
                right = self._pagesize[0] - 15 * mm
                self.drawRightString(right, y, f"Page {number} of {len(self._pages)}")
                super().showPage()
            super().save()

    return FooterCanvas


def render_pdf(snapshot: RecordSnapshot, photos: PhotoSource) -> bytes:
    """What jobs.render.render_pdf takes, drawn with ReportLab."""
    _setup()
    fetcher = SnapshotFetcher(snapshot.photos, photos)
    data = [fetcher.fetch(f"photo:{i}").read() for i in range(len(snapshot.photos))]
    out = BytesIO()
    r = snapshot
    doc = BaseDocTemplate(
        out, pagesize=PAGES[r.look.paper], title=f"{r.reference} — {r.title}",
        author=r.organization, creator="Sitepack",
        leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm, bottomMargin=20 * mm,
    )  # fmt: skip
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
    )  # fmt: skip
    doc.addPageTemplates([PageTemplate(frames=[frame])])
    footer = f"{r.reference} · version {r.version}"
    doc.build(_story(r, data, doc.width), canvasmaker=_footer_canvas(footer))
    return out.getvalue()
