"""One combined PDF: the index, then every record's PDF as the render cache holds it (never
rendered again), with an outline entry per record under its kind, page labels ("INS-0042
p. 2"), and each index line linked to its record's first page.

Split into volumes of at most EXPORT_COMBINED_VOLUME_BYTES of record PDFs, each a whole PDF
with its own index pages and outline, so the job holds one volume's worth at most: the
records' PDFs wait in temp files (pikepdf reads them lazily, copying their streams while the
volume is written), and each finished volume goes into the zip and is deleted. Memory and
disk are bounded by the volume size, not by the export (bench/combined_bench.py measures it).

The index pages come from jobs/index_pdf.py and the volume's bytes from `build`; each volume
carries its own MANIFEST.csv and .xlsx (its records' rows) as associated files, is PDF/A-3b
when the export is archival and is signed in place when it is signed (jobs/handover.py), one
volume at a time.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

from jobs import handover
from jobs.archive import safe_component
from jobs.handover import Attachment
from jobs.index_pdf import IndexHead, IndexLine, Spot, render, sections
from jobs.manifest import XLSX_TYPE, header_line, write_xlsx
from jobs.parts import MANIFEST
from portal.vocabulary import kind_label


@dataclass(frozen=True)
class Chapter:
    """A record waiting for its volume: its index line and its PDF in a temp file."""

    line: IndexLine
    path: Path
    size: int
    row: bytes  # its line of the volume's MANIFEST.csv


class CombinedPdf:
    """`add` each record's PDF in order, then `close`; `emit(name, path)` receives each
    finished volume (the caller zips it; the file is deleted once `emit` returns)."""

    def __init__(
        self, head: IndexHead, volume_bytes: int, work_dir: str | None,
        emit: Callable[[str, Path], None],
    ):  # fmt: skip
        self.head, self.volume_bytes, self.work_dir, self.emit = head, volume_bytes, work_dir, emit
        self._chapters: list[Chapter] = []
        self._size = 0
        self.volumes = 0

    def add(self, line: IndexLine, data: bytes, row: Callable[[str], bytes]) -> int:
        """Queues a record's PDF; answers the number of the volume it will be in. `row(name)`
        is its manifest line, saying it is in the volume of that name."""
        if self._chapters and self._size + len(data) > self.volume_bytes:
            self._finish()
        handle, name = tempfile.mkstemp(suffix=".pdf", dir=self.work_dir)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        volume = volume_name(self.head.title, self.volumes + 1)
        self._chapters.append(Chapter(line, Path(name), len(data), row(volume)))
        self._size += len(data)
        return self.volumes + 1

    def close(self) -> None:
        """The last volume (an export with no PDF at all still gets its index)."""
        if self._chapters or not self.volumes:
            self._finish()

    def discard(self) -> None:
        for chapter in self._chapters:
            chapter.path.unlink(missing_ok=True)
        self._chapters, self._size = [], 0

    def _finish(self) -> None:
        self.volumes += 1
        number = self.volumes
        head = replace(self.head, title=f"{self.head.title} — volume {number}")
        index, volume = (self._temp() for _ in range(2))
        try:
            lines = [chapter.line for chapter in self._chapters]
            spots = render(head, lines, index)
            build(index, spots, self._chapters, volume, head, self._manifest())
            handover.sign(volume, head)
            self.emit(volume_name(self.head.title, number), volume)
        finally:
            index.unlink(missing_ok=True)
            volume.unlink(missing_ok=True)
            self.discard()

    def _manifest(self) -> list[Attachment]:
        """The volume's MANIFEST.csv and its .xlsx twin, of its records' rows alone."""
        rows = header_line() + b"".join(chapter.row for chapter in self._chapters)
        sheet = self._temp()
        try:
            write_xlsx(io.BytesIO(rows), sheet)
            xlsx = sheet.read_bytes()
        finally:
            sheet.unlink(missing_ok=True)
        what = "The records in this volume, one row each"
        return [
            Attachment(f"{MANIFEST}.csv", rows, "text/csv", what),
            Attachment(f"{MANIFEST}.xlsx", xlsx, XLSX_TYPE, f"{what} (spreadsheet)"),
        ]

    def _temp(self) -> Path:
        handle, name = tempfile.mkstemp(suffix=".pdf", dir=self.work_dir)
        os.close(handle)
        return Path(name)


def volume_name(title: str, number: int) -> str:
    return f"{safe_component(title, 80)} — combined, volume {number}.pdf"


def build(
    index: Path, spots: list[Spot], chapters: list[Chapter], target: Path, head: IndexHead,
    carried: Sequence[Attachment] = (),
) -> None:  # fmt: skip
    """The volume: index pages, then each chapter's pages, with links, outline and labels,
    carrying `carried`, written as `head` asks (PDF/A or plain)."""
    with pikepdf.open(index) as index_pdf, pikepdf.new() as volume:
        volume.pages.extend(index_pdf.pages)
        starts, sources = [], []
        try:
            for chapter in chapters:
                source = pikepdf.open(chapter.path)
                sources.append(source)
                starts.append(len(volume.pages))
                volume.pages.extend(source.pages)
            _link(volume, spots, starts)
            _outline(volume, chapters, starts)
            _labels(volume, chapters, starts)
            volume.docinfo[Name.Title] = index_pdf.docinfo.get(Name.Title, "")
            handover.save(volume, target, head, carried)
        finally:
            for source in sources:
                source.close()


def _link(volume: pikepdf.Pdf, spots: list[Spot], starts: list[int]) -> None:
    """Each index line, clicked, opens its record's first page."""
    for spot, start in zip(spots, starts, strict=True):
        page = volume.pages[spot.page]
        link = volume.make_indirect(
            Dictionary(
                Type=Name.Annot, Subtype=Name.Link, Rect=Array(spot.rect),
                Border=Array([0, 0, 0]), Dest=Array([volume.pages[start].obj, Name.Fit]),
            )
        )  # fmt: skip
        if Name.Annots not in page.obj:
            page.obj[Name.Annots] = Array()
        page.obj[Name.Annots].append(link)


def _outline(volume: pikepdf.Pdf, chapters: list[Chapter], starts: list[int]) -> None:
    """One entry per kind (at its first record), each record's under it, in volume order;
    across projects, one entry per project first, its kinds under it."""
    several = bool(sections([chapter.line for chapter in chapters]))
    groups: dict[tuple[str, ...], OutlineItem] = {}
    with volume.open_outline() as outline:
        outline.root.append(OutlineItem("Index", 0))
        for chapter, start in zip(chapters, starts, strict=True):
            path = (chapter.line.project,) if several else ()
            parent = outline.root
            for depth in range(len(path) + 1):
                key = (*path, kind_label(chapter.line.kind))[: depth + 1]
                if key not in groups:
                    groups[key] = OutlineItem(key[-1], start)
                    parent.append(groups[key])
                parent = groups[key].children
            title = f"{chapter.line.reference} — {chapter.line.title}"
            parent.append(OutlineItem(title, start))


def _labels(volume: pikepdf.Pdf, chapters: list[Chapter], starts: list[int]) -> None:
    """Page labels a reader shows: "Index i", then "INS-0042 p. 1" for each record."""
    numbers = [0, Dictionary(S=Name.r, P="Index ")]
    for chapter, start in zip(chapters, starts, strict=True):
        numbers += [start, Dictionary(S=Name.D, P=f"{chapter.line.reference} p. ")]
    volume.Root.PageLabels = Dictionary(Nums=Array(numbers))
