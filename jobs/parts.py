"""An export split into zips of at most EXPORT_PART_BYTES each, every one complete on its own.

Part N holds whole entries in the order they come. The manifests (jobs/manifest.py: CSV,
each with its .xlsx twin) are named so a client tells them apart:

    MANIFEST.csv / .xlsx          every record of the export, with a `part` column naming the
                                  part that holds its PDF (empty for a record that failed):
                                  the only manifest of a one-zip export, in the last part of
                                  a split one
    MANIFEST-PART-N.csv / .xlsx   in each part of a split export: the records part N holds
    ERRORS.txt                    in the last part: the failed records and why, when any failed
    00-INDEX.pdf                  in the last part of a records export (jobs/index_pdf.py)

An entry starts a new part when it, the central directory, and the manifests that may have
to follow it would pass the limit; an entry larger than the limit gets a part to itself. A
record's photos may start the part after its PDF. Names are unique across all parts, so the
parts unpack into one folder.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from jobs.archive import ArchiveEntry, InMemory, UniqueNames, ZipArchive, one_line
from jobs.index_pdf import INDEX_NAME
from jobs.manifest import Facts, header_line, line, utc_stamp, write_xlsx, xlsx_bound

MANIFEST = "MANIFEST"  # the whole export's; .csv and .xlsx
ERRORS = "ERRORS.txt"
# The most a stored entry adds to its name and data, with ZIP64 throughout (zipfile's layout):
# local header 30 + ZIP64 extra 20 and data descriptor 24 before the central directory;
# there, a record of 46 + ZIP64 extra 28. End records: 22, and 56 + 20 for ZIP64.
LOCAL_COST = 30 + 20 + 24
CENTRAL_COST = 46 + 28
END_COST = 22 + 56 + 20
NO_FACTS = Facts()  # a link's row says nothing of a record
PART_ROOM = 99_999  # a row's length is measured with the widest part number it may carry


def part_manifest(number: int) -> str:
    """A split export's part N's own manifest, .csv and .xlsx."""
    return f"MANIFEST-PART-{number}"


class PartStream(Protocol):
    """Where a part is written: a `MultipartWriter`, or in tests a forward-only local file."""

    sha256: str

    def write(self, data: bytes) -> int: ...
    def tell(self) -> int: ...
    def __enter__(self) -> PartStream: ...
    def __exit__(self, *exc_info) -> None: ...


@dataclass(frozen=True)
class ArchivePart:
    number: int
    size: int
    sha256: str
    entries: int  # every zip entry, manifests included
    records: int  # PDFs listed in this part's MANIFEST.csv


class PartedArchive:
    """`with PartedArchive(open_part, part_bytes, exported_at=now) as parts: parts.add_bytes(..)`;
    leaving the `with` finishes the last part; `parts.parts` then lists them all. On an
    exception the open part's stream is exited with it (an upload aborts); parts already
    finished stay, for the caller to delete. Every manifest row says `exported_at`."""

    def __init__(
        self,
        open_part: Callable[[int], PartStream],
        part_bytes: int,
        tmp_dir: str | Path | None = None,
        *,
        exported_at: datetime,
    ):
        self._open_part, self.part_bytes, self._tmp_dir = open_part, part_bytes, tmp_dir
        self._exported_at = exported_at  # every entry's modification time, too
        self._stamp = utc_stamp(exported_at)  # as every manifest row's exported_at cell says it
        self._names = UniqueNames()
        for reserved in (f"{MANIFEST}.csv", f"{MANIFEST}.xlsx", ERRORS, INDEX_NAME):
            self._names.unique(reserved)
        self._all = _Spool(tmp_dir, header_line())
        self._errors = _Spool(tmp_dir)
        self._part: _OpenPart | None = None
        self.parts: list[ArchivePart] = []
        self._closed = False
        self.ok = 0
        self.failed = 0

    def __enter__(self) -> PartedArchive:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.close()
            elif self._part is not None:
                self._part.archive.__exit__(exc_type, exc, tb)
                self._part.stream.__exit__(exc_type, exc, tb)
        finally:
            for spool in (self._all, self._errors):
                spool.close()
            if self._part is not None:
                self._part.rows.close()

    def add_bytes(self, name: str, data: bytes, **row) -> ArchiveEntry:
        """`add_stream` of bytes in memory (read as views, not copied); `row` as add_stream
        takes it."""
        return self.add_stream(name, InMemory(data), len(data), **row)

    def add_stream(
        self,
        name: str,
        source: BinaryIO,
        size: int,
        *,
        reference: str | None = None,
        title: str = "",
        sha256: str | None = None,
        url: str = "",
        content_type: str = "",
        facts: Facts = NO_FACTS,
    ) -> ArchiveEntry:
        """Adds `size` bytes from `source` under `name` (made unique across the parts); with a
        `reference`, the entry is a record's PDF (or, with a `url` and an empty reference, a
        bundle's file) and gets a row in the manifests, saying `facts` of its record. A
        `sha256` the caller has just checked the bytes against is used as is."""
        name = self._names.unique(name)
        row = Row(reference or "", title, url, content_type, facts)
        # A row's length is known before the data is read: a SHA-256 is always 64 hex digits.
        planned = ArchiveEntry(name, size, "0" * 64)
        room = len(line(*self._cells(row, planned, PART_ROOM))) if reference is not None else 0
        part = self._room_for(name, size, room)
        entry = part.archive.add_stream(name, source, size, sha256)
        part.central += CENTRAL_COST + len(name.encode())
        part.entries += 1
        if reference is not None:
            row_line = line(*self._cells(row, entry, part.number))
            part.rows.write(row_line)
            self._all.write(row_line)
            part.records += 1
            self.ok += 1
        return entry

    def add_row(self, reference: str, title: str, file: str, size: int, facts: Facts) -> None:
        """A record held inside another entry (a volume of the combined PDF, added later):
        its manifest row alone, naming that entry, with no checksum of its own."""
        part = self._part or self._start()
        row = Row(reference, title, "", "application/pdf", facts)
        row_line = line(*self._cells(row, ArchiveEntry(file, size, ""), ""))
        part.rows.write(row_line)
        self._all.write(row_line)
        part.records += 1
        self.ok += 1

    def row_of(
        self, reference: str, title: str, file: str, size: int, sha256: str, facts: Facts
    ) -> bytes:
        """The manifest line of a record's PDF held in `file` (a combined volume's own
        MANIFEST.csv lists its records so), written nowhere here."""
        row = Row(reference, title, "", "application/pdf", facts)
        return line(*self._cells(row, ArchiveEntry(file, size, sha256), ""))

    def add_failure(
        self, reference: str, title: str, reason: str, url: str = "", count: int = 1
    ) -> None:
        """A record with no PDF, or a link with no file (`url`): a manifest row saying
        "error", and a line of ERRORS.txt saying why. `count`: the records one row stands
        for, when they can no longer be named one by one."""
        self._all.write(line(*self._cells(Row(reference, title, url, ""), None, "")))
        what = one_line(url) if url else f"{one_line(reference)} — {one_line(title)}"
        self._errors.write(f"{what}: {one_line(reason)}\n".encode())
        self.failed += count

    @property
    def part_number(self) -> int | None:
        """The part the latest entry went into (None before the first)."""
        return self._part.number if self._part else None

    def close(self, leading: Sequence[tuple[str, Path]] = ()) -> list[ArchivePart]:
        """Finishes the last part (an empty export still makes one valid zip), with the
        `leading` files (name, path: the index) before its manifests; once only."""
        if self._closed:
            return self.parts
        self._closed = True
        part = self._part
        room = sum(_cost(name, path.stat().st_size) for name, path in leading)
        if part is not None and part.entries and self._projected(part) + room > self.part_bytes:
            self._finish(part, last=False)
            part = None
        part = part or self._start()
        for name, path in leading:
            part.archive.add_file(name, path)
            part.central += CENTRAL_COST + len(name.encode())
            part.entries += 1
        self._finish(part, last=True)
        return self.parts

    def _cells(self, row: Row, entry: ArchiveEntry | None, part: int | str) -> tuple:
        """A row in manifest.COLUMNS' order: its file's, or "error" when it has none. The
        room a part keeps for its next row is measured from this too."""
        record = (row.reference, row.title, *row.facts.cells(), row.url)
        if entry is None:
            return (*record, "", "", "", "", "error", "", self._stamp)
        return (
            *record, entry.name, entry.size, entry.sha256, row.content_type, "ok", part,
            self._stamp,
        )  # fmt: skip

    def _room_for(self, name: str, size: int, row: int) -> _OpenPart:
        part = self._part
        if part is None:
            return self._start()
        if part.entries and self._projected(part, name, size, row) > self.part_bytes:
            self._finish(part, last=False)
            return self._start()
        return part

    def _projected(self, part: _OpenPart, name: str = "", size: int = 0, row: int = 0) -> int:
        """The part's size, at most, if it took this entry and were then finished as the last
        part of a split export (the most manifests a part carries)."""
        added = 1 if row else 0
        total = part.stream.tell() + part.central + END_COST
        total += _manifest_cost(part.manifest, part.rows.rows + added, part.rows.size + row)
        total += _manifest_cost(MANIFEST, self._all.rows + added, self._all.size + row)
        total += _cost(ERRORS, self._errors.size)
        return total + (_cost(name, size) if name else 0)

    def _start(self) -> _OpenPart:
        number = len(self.parts) + 1
        stream = self._open_part(number).__enter__()
        archive = ZipArchive(stream, self._exported_at, self._tmp_dir).__enter__()
        manifest = self._names.unique(f"{part_manifest(number)}.csv").removesuffix(".csv")
        self._names.unique(f"{manifest}.xlsx")
        rows = _Spool(self._tmp_dir, header_line())
        self._part = _OpenPart(number, stream, archive, rows, manifest)
        return self._part

    def _finish(self, part: _OpenPart, last: bool) -> None:
        """Its manifests (a one-zip export's is the whole one alone), then the zip's end."""
        closing = [] if last and part.number == 1 else [(part.manifest, part.rows)]
        if last:
            closing.append((MANIFEST, self._all))
        for name, spool in closing:
            spool.copy_into(part.archive, f"{name}.csv")
            spool.xlsx_into(part.archive, f"{name}.xlsx")
        if last and self.failed:
            self._errors.copy_into(part.archive, ERRORS)
        part.archive.__exit__(None, None, None)
        part.stream.__exit__(None, None, None)
        part.rows.close()
        self._part = None
        entries = part.entries + 2 * len(closing) + (1 if last and self.failed else 0)
        self.parts.append(
            ArchivePart(part.number, part.stream.tell(), part.stream.sha256, entries, part.records)
        )


@dataclass(frozen=True)
class Row:
    """What a manifest row says of an entry besides the entry itself."""

    reference: str
    title: str
    url: str
    content_type: str
    facts: Facts = NO_FACTS


@dataclass
class _OpenPart:
    number: int
    stream: PartStream
    archive: ZipArchive
    rows: _Spool  # this part's own manifest's rows
    manifest: str  # its name, without extension
    central: int = 0  # central directory bytes owed for the entries so far
    entries: int = 0
    records: int = 0


class _Spool:
    """Lines waiting in an anonymous temp file, counted, to become zip entries."""

    def __init__(self, tmp_dir: str | Path | None, header: bytes = b""):
        self._tmp_dir = tmp_dir
        self._file = tempfile.TemporaryFile(dir=tmp_dir)  # noqa: SIM115 -- closed by its owner
        self._file.write(header)
        self.size, self.rows = len(header), 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)
        self.rows += 1

    def copy_into(self, archive: ZipArchive, name: str) -> ArchiveEntry:
        self._file.seek(0)
        entry = archive.add_stream(name, self._file, self.size)
        self._file.seek(0, io.SEEK_END)
        return entry

    def xlsx_into(self, archive: ZipArchive, name: str) -> ArchiveEntry:
        """Its lines as a spreadsheet, made in a temp file that is gone once it is in."""
        with tempfile.NamedTemporaryFile(dir=self._tmp_dir, suffix=".xlsx") as sheet:
            self._file.seek(0)
            write_xlsx(self._file, sheet.name)
            self._file.seek(0, io.SEEK_END)
            return archive.add_file(name, sheet.name)

    def close(self) -> None:
        self._file.close()


def _cost(name: str, size: int) -> int:
    return LOCAL_COST + CENTRAL_COST + 2 * len(name.encode()) + size


def _manifest_cost(name: str, rows: int, csv_bytes: int) -> int:
    """A manifest's two entries, its .xlsx at its bound (its exact size comes too late)."""
    return _cost(f"{name}.csv", csv_bytes) + _cost(f"{name}.xlsx", xlsx_bound(rows, csv_bytes))
