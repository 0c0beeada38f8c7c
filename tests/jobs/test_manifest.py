"""The manifests a PartedArchive writes: MANIFEST.csv in every part, and in the last
MANIFEST-ALL.csv and, when a record failed, ERRORS.txt."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, datetime, timedelta, timezone

from jobs.parts import ERRORS, MANIFEST, MANIFEST_ALL, PartedArchive, utc_stamp
from tests.helpers import HashingWriter

ONE_PART = 10**9
EXPORTED_AT = datetime(2026, 12, 2, 7, 3, 43, 999_999)  # naive UTC, as utcnow() gives it
STAMP = "2026-12-02T07:03:43Z"


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
            )
        for reference, title, reason in failures:
            archive.add_failure(reference, title, reason)
    assert len(archive.parts) == 1
    return zipfile.ZipFile(tmp_path / "part-1.zip")


def manifest_rows(zf: zipfile.ZipFile, name: str = MANIFEST) -> list[list[str]]:
    return list(csv.reader(io.StringIO(zf.read(name).decode("utf-8"))))


def test_manifest_round_trips_and_its_checksums_match_the_entries(tmp_path):
    with build_zip(tmp_path, []) as zf:
        header, *rows = manifest_rows(zf)
        names = zf.namelist()
        for _reference, _title, url, file, size, sha256, type_, status, exported_at in rows:
            data = zf.read(file)
            assert (url, int(size), sha256, type_, status, exported_at) == (
                "",
                len(data),
                hashlib.sha256(data).hexdigest(),
                "application/pdf",
                "ok",
                STAMP,
            )

    assert header == [
        "reference", "title", "url", "file", "bytes", "sha256", "content_type", "status",
        "exported_at",
    ]  # fmt: skip
    assert [row[:4] for row in rows] == [
        [f"TSK-{n}", f"Title {n}, with a comma", "", f"P/task/TSK-{n}-x.pdf"] for n in range(3)
    ]
    assert ERRORS not in names


def test_errors_file_lists_each_failed_record_with_its_reason(tmp_path):
    failures = [
        ("INS-7", "Broken photo", "photo 2 (a.jpg) is not a readable image"),
        ("INS-9", "Two\nlines", "photo 'b.jpg'\r\nis missing from storage"),
    ]
    with build_zip(tmp_path, failures) as zf:
        errors = zf.read(ERRORS).decode("utf-8").splitlines()
        rows = manifest_rows(zf)[1:]
        everything = manifest_rows(zf, MANIFEST_ALL)[1:]

    assert errors == [
        "INS-7 — Broken photo: photo 2 (a.jpg) is not a readable image",
        "INS-9 — Two lines: photo 'b.jpg' is missing from storage",
    ]
    assert [row[7] for row in rows] == ["ok", "ok", "ok", "error", "error"]
    assert rows[3:] == [
        ["INS-7", "Broken photo", "", "", "", "", "", "error", STAMP],
        ["INS-9", "Two\nlines", "", "", "", "", "", "error", STAMP],
    ]
    assert [row[7:] for row in everything] == [["ok", STAMP, "1"]] * 3 + [["error", STAMP, ""]] * 2


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
        rows = manifest_rows(zf)[1:]
        errors = zf.read(ERRORS).decode()
        assert zf.read("Drawings/A-101.pdf") == data

    digest = hashlib.sha256(data).hexdigest()
    assert rows == [
        ["", "Drawings/A-101.pdf", "http://docs.test/a101", "Drawings/A-101.pdf", str(len(data)),
         digest, "application/pdf", "ok", STAMP],
        ["", "http://docs.test/gone", "http://docs.test/gone", "", "", "", "", "error", STAMP],
    ]  # fmt: skip
    assert errors == "http://docs.test/gone: 404 Not Found\n"
    assert archive.ok == 1 and archive.failed == 1


def test_manifest_cells_that_look_like_formulas_are_defused(tmp_path):
    titles = [f'{c}HYPERLINK("http://evil.test")' for c in "=+-@"]
    failures = [(f"{c}X", title, "x") for c, title in zip("=+-@", titles, strict=True)]
    with build_zip(tmp_path, failures) as zf:
        rows = manifest_rows(zf)[4:]
        everything = manifest_rows(zf, MANIFEST_ALL)[4:]

    for listed in (rows, everything):
        assert [row[0] for row in listed] == ["'=X", "'+X", "'-X", "'@X"]
        assert [row[1] for row in listed] == [f"'{title}" for title in titles]


def test_the_export_time_is_written_in_utc_to_the_second_with_a_z():
    in_paris = datetime(2026, 12, 2, 8, 3, 43, 250_000, tzinfo=timezone(timedelta(hours=1)))

    assert utc_stamp(EXPORTED_AT) == STAMP
    assert utc_stamp(in_paris) == STAMP
    assert utc_stamp(EXPORTED_AT.replace(tzinfo=UTC)) == STAMP
