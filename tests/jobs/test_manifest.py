"""The manifest a one-zip export carries: MANIFEST.csv (UTF-8 with a BOM, every record with
its kind, status, assignee, due date, version, update time and part) and its MANIFEST.xlsx
twin; ERRORS.txt when a record failed."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone

from openpyxl import load_workbook

from jobs.manifest import HEADER, Facts, utc_stamp
from jobs.parts import ERRORS, PartedArchive
from tests.helpers import HashingWriter

ONE_PART = 10**9
EXPORTED_AT = datetime(2026, 12, 2, 7, 3, 43, 999_999)  # naive UTC, as utcnow() gives it
STAMP = "2026-12-02T07:03:43Z"
FACTS = Facts("ncr", "in_progress", "Zoë Brandt", date(2027, 1, 15), 3, datetime(2026, 11, 30, 9),
              "Harbour View")  # fmt: skip


def build_zip(tmp_path, failures: list[tuple[str, str, str]]) -> zipfile.ZipFile:
    """Three records' PDFs, then `failures`, in a one-part export."""

    def open_part(number: int) -> HashingWriter:
        return HashingWriter(tmp_path / f"part-{number}.zip")

    with PartedArchive(open_part, ONE_PART, tmp_path, exported_at=EXPORTED_AT) as archive:
        for n in range(3):
            archive.add_bytes(
                f"P/task/TSK-{n}-x.pdf",
                f"%PDF {n}".encode(),
                reference=f"TSK-{n}",
                title=f"Title {n}, with a comma",
                content_type="application/pdf",
                facts=FACTS,
            )
        for reference, title, reason in failures:
            archive.add_failure(reference, title, reason)
    assert len(archive.parts) == 1
    return zipfile.ZipFile(tmp_path / "part-1.zip")


def manifest_rows(zf: zipfile.ZipFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(zf.read("MANIFEST.csv").decode("utf-8-sig"))))


def test_a_one_zip_export_has_one_manifest_whose_checksums_match_the_entries(tmp_path):
    with build_zip(tmp_path, []) as zf:
        raw, names = zf.read("MANIFEST.csv"), zf.namelist()
        rows = manifest_rows(zf)
        for row in rows:
            data = zf.read(row["file"])
            assert (row["bytes"], row["sha256"]) == (
                str(len(data)),
                hashlib.sha256(data).hexdigest(),
            )

    assert [n for n in names if not n.endswith(".pdf")] == ["MANIFEST.csv", "MANIFEST.xlsx"]
    header = b"\xef\xbb\xbfreference,title,project,kind,record_status,assignee,due_date,"
    assert raw.startswith(header)
    assert rows[0] == {
        "reference": "TSK-0", "title": "Title 0, with a comma", "project": "Harbour View",
        "kind": "NCR",
        "record_status": "In progress", "assignee": "Zoë Brandt", "due_date": "2027-01-15",
        "version": "3", "updated_at": "2026-11-30T09:00:00Z", "url": "",
        "file": "P/task/TSK-0-x.pdf", "bytes": "6", "sha256": rows[0]["sha256"],
        "content_type": "application/pdf", "status": "ok", "part": "1", "exported_at": STAMP,
    }  # fmt: skip
    assert [row["reference"] for row in rows] == ["TSK-0", "TSK-1", "TSK-2"]


def test_the_xlsx_twin_has_typed_cells_a_frozen_filtered_header_and_widths(tmp_path):
    failures = [("=X", '=HYPERLINK("http://evil.test")', "x")]
    with build_zip(tmp_path, failures) as zf:
        book = load_workbook(io.BytesIO(zf.read("MANIFEST.xlsx")))
    sheet = book["Manifest"]
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0] == HEADER
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:Q5"
    assert sheet.column_dimensions["B"].width == 40
    first = dict(zip(HEADER, rows[1], strict=True))
    assert first["version"] == 3 and first["bytes"] == 6 and first["part"] == 1
    assert first["due_date"] == datetime(2027, 1, 15)  # a date cell (openpyxl reads datetimes)
    assert first["exported_at"] == datetime(2026, 12, 2, 7, 3, 43)
    failed = dict(zip(HEADER, rows[4], strict=True))
    assert (failed["reference"], failed["status"], failed["part"]) == ("=X", "error", None)
    assert sheet.cell(5, 2).data_type == "s"  # text, never a formula
    assert failed["title"] == '=HYPERLINK("http://evil.test")'


def test_errors_file_lists_each_failed_record_with_its_reason(tmp_path):
    failures = [
        ("INS-7", "Broken photo", "photo 2 (a.jpg) is not a readable image"),
        ("INS-9", "Two\nlines", "photo 'b.jpg'\r\nis missing from storage"),
    ]
    with build_zip(tmp_path, failures) as zf:
        errors = zf.read(ERRORS).decode("utf-8").splitlines()
        rows = manifest_rows(zf)

    assert errors == [
        "INS-7 — Broken photo: photo 2 (a.jpg) is not a readable image",
        "INS-9 — Two lines: photo 'b.jpg' is missing from storage",
    ]
    assert [(row["status"], row["part"]) for row in rows] == [("ok", "1")] * 3 + [("error", "")] * 2
    assert [row["title"] for row in rows[3:]] == ["Broken photo", "Two\nlines"]
    assert {row["exported_at"] for row in rows} == {STAMP}


def test_a_links_file_and_a_failed_link_are_listed_by_url_type_and_reason(tmp_path):
    def open_part(number: int) -> HashingWriter:
        return HashingWriter(tmp_path / f"part-{number}.zip")

    data = b"%PDF-1.7 drawing"
    with PartedArchive(open_part, ONE_PART, tmp_path, exported_at=EXPORTED_AT) as archive:
        archive.add_bytes(
            "Drawings/A-101.pdf", data, reference="", title="Drawings/A-101.pdf",
            content_type="application/pdf", url="http://docs.test/a101",
        )  # fmt: skip
        archive.add_failure(
            "", "http://docs.test/gone", "404 Not Found", url="http://docs.test/gone"
        )
    with zipfile.ZipFile(tmp_path / "part-1.zip") as zf:
        rows = manifest_rows(zf)
        errors = zf.read(ERRORS).decode()
        assert zf.read("Drawings/A-101.pdf") == data

    digest = hashlib.sha256(data).hexdigest()
    said = ["url", "file", "bytes", "sha256", "content_type", "status", "kind", "version"]
    assert [[row[column] for column in said] for row in rows] == [
        ["http://docs.test/a101", "Drawings/A-101.pdf", str(len(data)), digest,
         "application/pdf", "ok", "", ""],
        ["http://docs.test/gone", "", "", "", "", "error", "", ""],
    ]  # fmt: skip
    assert errors == "http://docs.test/gone: 404 Not Found\n"
    assert archive.ok == 1 and archive.failed == 1


def test_manifest_cells_that_look_like_formulas_are_defused(tmp_path):
    titles = [f'{c}HYPERLINK("http://evil.test")' for c in "=+-@"]
    failures = [(f"{c}X", title, "x") for c, title in zip("=+-@", titles, strict=True)]
    with build_zip(tmp_path, failures) as zf:
        rows = manifest_rows(zf)[3:]

    assert [row["reference"] for row in rows] == ["'=X", "'+X", "'-X", "'@X"]
    assert [row["title"] for row in rows] == [f"'{title}" for title in titles]


def test_the_export_time_is_written_in_utc_to_the_second_with_a_z():
    in_paris = datetime(2026, 12, 2, 8, 3, 43, 250_000, tzinfo=timezone(timedelta(hours=1)))

    assert utc_stamp(EXPORTED_AT) == STAMP
    assert utc_stamp(in_paris) == STAMP
    assert utc_stamp(EXPORTED_AT.replace(tzinfo=UTC)) == STAMP
