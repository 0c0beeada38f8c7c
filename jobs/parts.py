"""An export split into zips of at most EXPORT_PART_BYTES each, every one complete on its own.

Part N holds whole entries in the order they come and its own MANIFEST.csv, which lists the
records whose PDFs it holds. The last part also carries:

    MANIFEST-ALL.csv   every record of the export, with a `part` column naming the part that
                       holds its PDF (empty for a record that failed)
    ERRORS.txt         the failed records and why, when any failed

and its MANIFEST.csv ends with the failed records' rows, so an export that fits in one part
lists every record in its MANIFEST.csv. An entry starts a new part when it, the central
directory, and the manifests that must follow it would pass the limit; an entry larger than
the limit gets a part to itself. A record's photos may start the part after its PDF. Names
are unique across all parts, so the parts unpack into one folder.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from jobs.archive import (
    MANIFEST_HEADER,
    ArchiveEntry,
    InMemory,
    UniqueNames,
    ZipArchive,
    csv_cells,
    one_line,
)

MANIFEST = "MANIFEST.csv"
MANIFEST_ALL = "MANIFEST-ALL.csv"
ERRORS = "ERRORS.txt"
ALL_HEADER = (*MANIFEST_HEADER, "part")
# The most a stored entry adds to its name and data, with ZIP64 throughout (zipfile's layout):
# local header 30 + ZIP64 extra 20 and data descriptor 24 before the central directory;
# there, a record of 46 + ZIP64 extra 28. End records: 22, and 56 + 20 for ZIP64.
LOCAL_COST = 30 + 20 + 24
CENTRAL_COST = 46 + 28
END_COST = 22 + 56 + 20
PART_CELL = 8  # room for ",<part number>" on a MANIFEST-ALL.csv row


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
        self._stamp = utc_stamp(exported_at)  # as every manifest row's exported_at cell says it
        self._names = UniqueNames()
        for reserved in (MANIFEST, MANIFEST_ALL, ERRORS):
            self._names.unique(reserved)
        self._all = _Spool(tmp_dir, _line(*ALL_HEADER))
        self._failures = _Spool(tmp_dir)  # rows that end the last part's MANIFEST.csv
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
            for spool in (self._all, self._failures, self._errors):
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
    ) -> ArchiveEntry:
        """Adds `size` bytes from `source` under `name` (made unique across the parts); with a
        `reference`, the entry is a record's PDF (or, with a `url` and an empty reference, a
        bundle's file) and gets a row in the manifests. A `sha256` the caller has just
        checked the bytes against is used as is, not computed again."""
        name = self._names.unique(name)
        row = Row(reference or "", title, url, content_type)
        # A row's length is known before the data is read: a SHA-256 is always 64 hex digits.
        planned = ArchiveEntry(name, size, "0" * 64)
        line = _line(*self._cells(row, planned)) if reference is not None else b""
        part = self._room_for(name, size, len(line))
        entry = part.archive.add_stream(name, source, size, sha256)
        part.central += CENTRAL_COST + len(name.encode())
        part.entries += 1
        if reference is not None:
            cells = self._cells(row, entry)
            part.rows.write(_line(*cells))
            self._all.write(_line(*cells, part.number))
            part.records += 1
            self.ok += 1
        return entry

    def add_failure(
        self, reference: str, title: str, reason: str, url: str = "", count: int = 1
    ) -> None:
        """A record with no PDF, or a link with no file (`url`): a manifest row saying
        "error", and a line of ERRORS.txt saying why. `count`: the records one row stands
        for, when they can no longer be named one by one."""
        cells = self._cells(Row(reference, title, url, ""), None)
        self._failures.write(_line(*cells))
        self._all.write(_line(*cells, ""))
        what = one_line(url) if url else f"{one_line(reference)} — {one_line(title)}"
        line = f"{what}: {one_line(reason)}\n"
        self._errors.write(line.encode())
        self.failed += count

    def close(self) -> list[ArchivePart]:
        """Finishes the last part (an empty export still makes one valid zip); once only."""
        if self._closed:
            return self.parts
        self._closed = True
        part = self._part
        if part is not None and part.entries and self._projected(part) > self.part_bytes:
            self._finish(part, last=False)
            part = None
        self._finish(part or self._start(), last=True)
        return self.parts

    def _cells(self, row: Row, entry: ArchiveEntry | None) -> tuple:
        """A row in MANIFEST_HEADER's order: its file's, or "error" when it has none. The
        room a part keeps for its next row is measured from this too, so it stays exact."""
        if entry is None:
            return (row.reference, row.title, row.url, "", "", "", "", "error", self._stamp)
        return (
            row.reference, row.title, row.url, entry.name, entry.size, entry.sha256,
            row.content_type, "ok", self._stamp,
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
        """The part's size if it took this entry and were then finished as the last part."""
        manifest = part.rows.size + row + self._failures.size
        total = part.stream.tell() + part.central + END_COST
        total += _cost(MANIFEST, manifest)
        total += _cost(MANIFEST_ALL, self._all.size + row + PART_CELL)
        total += _cost(ERRORS, self._errors.size)
        return total + (_cost(name, size) if name else 0)

    def _start(self) -> _OpenPart:
        number = len(self.parts) + 1
        stream = self._open_part(number).__enter__()
        archive = ZipArchive(stream).__enter__()
        self._part = _OpenPart(
            number, stream, archive, _Spool(self._tmp_dir, _line(*MANIFEST_HEADER))
        )
        return self._part

    def _finish(self, part: _OpenPart, last: bool) -> None:
        if last:
            part.rows.append(self._failures)
        closing = [(MANIFEST, part.rows)]
        if last:
            closing += [(ERRORS, self._errors)] if self.failed else []
            closing.append((MANIFEST_ALL, self._all))
        for name, spool in closing:
            spool.copy_into(part.archive, name)
        part.archive.__exit__(None, None, None)
        part.stream.__exit__(None, None, None)
        part.rows.close()
        self._part = None
        entries = part.entries + len(closing)
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


@dataclass
class _OpenPart:
    number: int
    stream: PartStream
    archive: ZipArchive
    rows: _Spool  # this part's MANIFEST.csv
    central: int = 0  # central directory bytes owed for the entries so far
    entries: int = 0
    records: int = 0


class _Spool:
    """Bytes waiting in an anonymous temp file, counted, to become one zip entry."""

    def __init__(self, tmp_dir: str | Path | None, first: bytes = b""):
        self._file = tempfile.TemporaryFile(dir=tmp_dir)  # noqa: SIM115 -- closed by its owner
        self.size = 0
        self.write(first)

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)

    def append(self, other: _Spool) -> None:
        other._file.seek(0)
        shutil.copyfileobj(other._file, self._file)
        self.size += other.size

    def copy_into(self, archive: ZipArchive, name: str) -> ArchiveEntry:
        self._file.seek(0)
        entry = archive.add_stream(name, self._file, self.size)
        self._file.seek(0, io.SEEK_END)
        return entry

    def close(self) -> None:
        self._file.close()


def _cost(name: str, size: int) -> int:
    return LOCAL_COST + CENTRAL_COST + 2 * len(name.encode()) + size


def utc_stamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, e.g. 2026-12-02T07:03:43Z. A naive time is UTC already
    (as `portal.models.utcnow` gives it); an aware one is converted."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(*values: object) -> bytes:
    """One manifest row (formulas defused, CRLF line end), in UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerow(csv_cells(*values))
    return out.getvalue().encode()
