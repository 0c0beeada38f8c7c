"""The manifest: one row per record (or link) of the export, as CSV and as an .xlsx twin.

The CSV starts with a UTF-8 byte order mark: without one, Excel reads UTF-8 as the
machine's code page and "Façade" arrives as "FaÃ§ade". Its cells that a spreadsheet would
run as a formula are defused (archive.csv_cells). The .xlsx is written from the CSV's
spooled rows by openpyxl in write-only mode, which streams rows to a temporary file, so a
10,000-row manifest costs the worker no more memory than a 100-row one (bench/manifest_bench.py
measures it); its cells are typed (numbers, dates), its header frozen, filtered and sized.

A part's room for its manifests is reserved before they are written (jobs/parts.py), so the
.xlsx's size is bounded from its CSV's (`xlsx_bound`), which is exact for the CSV alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from jobs.archive import FORMULA_STARTS, csv_cells
from portal.vocabulary import kind_label, status_label

BOM = "\ufeff".encode()
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: str) -> str:
    """A defused cell's text as typed: a cell is typed as text in the .xlsx, never a formula."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _date(value: str) -> date | str:
    return date.fromisoformat(value) if value else value


def _moment(value: str) -> datetime | str:
    """ "2026-12-02T07:03:43Z" as a naive datetime (UTC): a spreadsheet has no time zones."""
    return datetime.fromisoformat(value.removesuffix("Z")) if value else value


# (column, its .xlsx type, its width in characters), in the order of every manifest's header.
# `status` is the entry's (ok, error); `record_status` the record's own. `exported_at` is when
# the export was assembled, the same in every row of every part: the time of export lives in
# the manifests and the index, never inside a record's PDF (whose bytes stay reproducible).
# A row is a record's PDF (url empty) or a bundle's link (reference empty).
COLUMNS: tuple[tuple[str, Callable, int], ...] = (
    ("reference", _text, 14),
    ("title", _text, 40),
    ("project", _text, 24),
    ("kind", _text, 12),
    ("record_status", _text, 13),
    ("assignee", _text, 20),
    ("due_date", _date, 11),
    ("version", _number, 8),
    ("updated_at", _moment, 19),
    ("url", _text, 30),
    ("file", _text, 50),
    ("bytes", _number, 12),
    ("sha256", _text, 66),
    ("content_type", _text, 16),
    ("status", _text, 8),
    ("part", _number, 6),
    ("exported_at", _moment, 19),
)
HEADER = tuple(name for name, _, _ in COLUMNS)
DATE_FORMAT, MOMENT_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
# The most an .xlsx adds to its CSV, were nothing compressed: the package's fixed files
# (5.3 KB measured), and per row each cell's XML (`<c r="P10000" s="1" t="s"><v>1234</v></c>`)
# plus its text again in the shared strings, escaped. Measured: 2,000 typical rows, 520 KB of
# CSV, make 225 KB of .xlsx, under a bound of 3.1 MB: room a 4 GB part does not miss.
XLSX_FIXED = 8 * 1024
XLSX_PER_ROW = 64 * len(COLUMNS)


@dataclass(frozen=True)
class Facts:
    """What a record's row says of the record itself; a link's row leaves them empty."""

    kind: str = ""
    record_status: str = ""
    assignee: str = ""
    due_date: date | None = None
    version: int | None = None
    updated_at: datetime | None = None
    project: str = ""

    def cells(self) -> tuple:
        """In COLUMNS' order, from `project` to `updated_at`, in words people read."""
        return (
            self.project,
            kind_label(self.kind) if self.kind else "",
            status_label(self.record_status) if self.record_status else "",
            self.assignee,
            self.due_date.isoformat() if self.due_date else "",
            "" if self.version is None else self.version,
            utc_stamp(self.updated_at) if self.updated_at else "",
        )


def utc_stamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, e.g. 2026-12-02T07:03:43Z. A naive time is UTC already
    (as `portal.models.utcnow` gives it); an aware one is converted."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def line(*values: object) -> bytes:
    """One row (formulas defused, CRLF line end), in UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerow(csv_cells(*values))
    return out.getvalue().encode()


def header_line() -> bytes:
    return BOM + line(*HEADER)


def xlsx_bound(rows: int, csv_bytes: int) -> int:
    """At most the size of the .xlsx of a CSV of `rows` rows and `csv_bytes` bytes."""
    return XLSX_FIXED + 2 * csv_bytes + XLSX_PER_ROW * rows


def write_xlsx(csv_source: BinaryIO, target: str | Path) -> None:
    """The CSV (read from where it stands, BOM and header first) as an .xlsx at `target`;
    `csv_source` stays open, for its owner to close."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Manifest")
    sheet.freeze_panes = "A2"
    for index, (_, _, width) in enumerate(COLUMNS):
        sheet.column_dimensions[_letter(index)].width = width
    text = io.TextIOWrapper(csv_source, encoding="utf-8-sig", newline="")
    try:
        rows = csv.reader(text)
        sheet.append([_bold(sheet, name) for name in next(rows)])
        count = 0
        for row in rows:
            sheet.append([_cell(sheet, index, value) for index, value in enumerate(row)])
            count += 1
    finally:
        text.detach()  # else closing the wrapper would close the spool under it
    sheet.auto_filter.ref = f"A1:{_letter(len(COLUMNS) - 1)}{count + 1}"
    book.save(target)


def _cell(sheet, index: int, value: str) -> WriteOnlyCell:
    typed = COLUMNS[index][1](value)
    cell = WriteOnlyCell(sheet, typed)
    if isinstance(typed, str):
        cell.data_type = "s"  # never "f": a title starting with "=" is text
    elif isinstance(typed, datetime):
        cell.number_format = MOMENT_FORMAT
    elif isinstance(typed, date):
        cell.number_format = DATE_FORMAT
    return cell


def _bold(sheet, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, name)
    cell.font = Font(bold=True)
    return cell


def _letter(index: int) -> str:
    return chr(ord("A") + index)
