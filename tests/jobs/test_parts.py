"""An export split into zips under a size limit: each part a valid zip, every PDF in exactly
one, manifests that agree, and on S3 an error leaves no upload behind."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import zipfile
from datetime import datetime

import pytest

from jobs.parts import PartedArchive, part_manifest
from portal.storage import client as s3
from portal.storage.multipart import MultipartWriter
from tests.helpers import HashingWriter, listed_uploads, unzip_test

EXPORTED_AT = datetime(2026, 12, 2, 7, 3, 43, 512_000)  # naive UTC, as utcnow() gives it
STAMP = "2026-12-02T07:03:43Z"
PDF_BYTES = 30_000
# Three 30 kB PDFs and the room kept for the manifests fit; a fourth does not.
THREE_PDFS = 135_000
MANIFEST, MANIFEST_XLSX = "MANIFEST.csv", "MANIFEST.xlsx"


def pdfs(count: int) -> dict[str, bytes]:
    return {f"P/task/TSK-{n}-slab.pdf": b"%PDF" + os.urandom(PDF_BYTES - 4) for n in range(count)}


def local_parts(tmp_path):
    def open_part(number: int) -> HashingWriter:
        return HashingWriter(tmp_path / f"part-{number}.zip")

    return open_part


def parted(open_part, part_bytes: int, tmp_path) -> PartedArchive:
    return PartedArchive(open_part, part_bytes, tmp_path, exported_at=EXPORTED_AT)


def rows(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig"))))


def test_three_parts_hold_every_pdf_once_and_their_manifests_agree(tmp_path):
    given = pdfs(9)
    with parted(local_parts(tmp_path), THREE_PDFS, tmp_path) as archive:
        for n, (name, data) in enumerate(given.items()):
            archive.add_bytes(name, data, reference=f"TSK-{n}", title="=Slab, level 2")
        archive.add_failure("TSK-9", "Broken", "photo 1 is not a readable image")

    assert [part.number for part in archive.parts] == [1, 2, 3]
    found, listed = {}, []
    for part in archive.parts:
        path = tmp_path / f"part-{part.number}.zip"
        assert part.size == path.stat().st_size <= THREE_PDFS
        assert part.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert unzip_test(path)
        with zipfile.ZipFile(path) as zf:
            assert part.entries == len(zf.namelist())
            pdf_names = [name for name in zf.namelist() if name.endswith(".pdf")]
            assert part.records == len(pdf_names) == 3
            found.update({name: zf.read(name) for name in pdf_names})
            own = part_manifest(part.number)
            listed.append(rows(zf, f"{own}.csv"))
            assert f"{own}.xlsx" in zf.namelist()
            if part.number == 3:
                everything = rows(zf, MANIFEST)
                assert MANIFEST_XLSX in zf.namelist()
                errors = zf.read("ERRORS.txt").decode()
            else:
                assert {MANIFEST, MANIFEST_XLSX, "ERRORS.txt"}.isdisjoint(zf.namelist())

    assert found == given  # each PDF exactly once, byte for byte
    assert [row["reference"] for row in everything] == [f"TSK-{n}" for n in range(10)]
    assert {row["title"] for row in everything} == {"'=Slab, level 2", "Broken"}
    for number, part_rows in enumerate(listed, 1):
        assert part_rows == [row for row in everything if row["part"] == str(number)]
    assert (everything[-1]["status"], everything[-1]["part"]) == ("error", "")
    assert {row["exported_at"] for row in everything + sum(listed, [])} == {STAMP}
    assert errors == "TSK-9 — Broken: photo 1 is not a readable image\n"


def test_an_entry_larger_than_the_limit_gets_a_part_of_its_own(tmp_path):
    with parted(local_parts(tmp_path), 50_000, tmp_path) as archive:
        archive.add_bytes("P/task/TSK-1-a.pdf", b"a" * 100, reference="TSK-1")
        archive.add_stream("photos/TSK-1/big.jpg", io.BytesIO(b"b" * 100_000), 100_000)
        archive.add_bytes("P/task/TSK-2-c.pdf", b"c" * 100, reference="TSK-2")

    contents = []
    for part in archive.parts:
        with zipfile.ZipFile(tmp_path / f"part-{part.number}.zip") as zf:
            contents.append([n for n in zf.namelist() if not n.startswith("MANIFEST")])
    assert contents == [["P/task/TSK-1-a.pdf"], ["photos/TSK-1/big.jpg"], ["P/task/TSK-2-c.pdf"]]
    assert archive.parts[1].size > 50_000 >= max(archive.parts[0].size, archive.parts[2].size)


def test_names_stay_unique_across_parts(tmp_path):
    with parted(local_parts(tmp_path), THREE_PDFS, tmp_path) as archive:
        names = [archive.add_bytes("P/task/TSK-1-x.pdf", os.urandom(PDF_BYTES)).name for _ in "abc"]
        names += [archive.add_bytes("P/task/TSK-1-X.pdf", os.urandom(PDF_BYTES)).name]
        names += [archive.add_bytes("MANIFEST.csv", b"not ours").name]

    assert names == [
        "P/task/TSK-1-x.pdf",
        "P/task/TSK-1-x-2.pdf",
        "P/task/TSK-1-x-3.pdf",
        "P/task/TSK-1-X-4.pdf",
        "MANIFEST-2.csv",
    ]
    assert len(archive.parts) == 2


def test_an_export_that_fits_in_one_part_lists_every_record_in_its_one_manifest(tmp_path):
    given = pdfs(3)
    with parted(local_parts(tmp_path), 10**9, tmp_path) as archive:
        for n, (name, data) in enumerate(given.items()):
            archive.add_bytes(name, data, reference=f"TSK-{n}", title=f"Title {n}")
        archive.add_failure("TSK-3", "Two\nlines", "missing photo")

    with zipfile.ZipFile(tmp_path / "part-1.zip") as part:
        assert part.namelist() == [*given, MANIFEST, MANIFEST_XLSX, "ERRORS.txt"]
        manifest = part.read(MANIFEST).decode("utf-8")
        errors = part.read("ERRORS.txt").decode()
    ok = [
        f"TSK-{n},Title {n},,,,,,,,,{name},{PDF_BYTES},{hashlib.sha256(data).hexdigest()},,ok,1,"
        f"{STAMP}\r\n"
        for n, (name, data) in enumerate(given.items())
    ]
    assert manifest == (
        "\ufeffreference,title,project,kind,record_status,assignee,due_date,version,updated_at,url,file,"
        "bytes,sha256,content_type,status,part,exported_at\r\n"
        + "".join(ok)
        + f'TSK-3,"Two\nlines",,,,,,,,,,,,,error,,{STAMP}\r\n'
    )
    assert errors == "TSK-3 — Two lines: missing photo\n"
    assert [(p.number, p.records, p.entries) for p in archive.parts] == [(1, 3, 6)]


def test_an_empty_export_is_one_valid_zip_of_manifests(tmp_path):
    with parted(local_parts(tmp_path), THREE_PDFS, tmp_path) as archive:
        archive.close()  # and again on leaving the `with`: still one part

    path = tmp_path / "part-1.zip"
    assert unzip_test(path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [MANIFEST, MANIFEST_XLSX]
        assert rows(zf, MANIFEST) == []
    assert [(p.number, p.records, p.entries) for p in archive.parts] == [(1, 0, 2)]


def s3_parts(number: int) -> MultipartWriter:
    return MultipartWriter(f"exports/1/abc/attempt-1/part-{number}.zip", "application/zip")


def test_parts_streamed_to_s3_arrive_as_valid_zips(bucket, tmp_path):
    given = pdfs(4)
    with parted(s3_parts, THREE_PDFS, tmp_path) as archive:
        for n, (name, data) in enumerate(given.items()):
            archive.add_bytes(name, data, reference=f"TSK-{n}")

    found = {}
    for part in archive.parts:
        data = s3.get_bytes(f"exports/1/abc/attempt-1/part-{part.number}.zip")
        assert (len(data), hashlib.sha256(data).hexdigest()) == (part.size, part.sha256)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.testzip() is None
            found.update({n: zf.read(n) for n in zf.namelist() if n.endswith(".pdf")})
    assert found == given and len(archive.parts) == 2


def test_an_error_aborts_the_open_part_and_keeps_the_finished_ones(bucket, tmp_path):
    with pytest.raises(RuntimeError), parted(s3_parts, THREE_PDFS, tmp_path) as archive:
        for name, data in pdfs(4).items():
            archive.add_bytes(name, data)
        assert listed_uploads() == ["exports/1/abc/attempt-1/part-2.zip"]
        raise RuntimeError("render pool died")

    assert [part.number for part in archive.parts] == [1]  # for the caller to delete
    assert s3.list_keys("exports/") == ["exports/1/abc/attempt-1/part-1.zip"]
    assert listed_uploads() == []


def test_the_index_leads_the_last_part_and_starts_one_when_it_would_not_fit(tmp_path):
    index = tmp_path / "index.pdf"
    index.write_bytes(b"%PDF index " + bytes(30_000))
    with parted(local_parts(tmp_path), THREE_PDFS, tmp_path) as archive:
        for n, (name, data) in enumerate(pdfs(3).items()):
            archive.add_bytes(name, data, reference=f"TSK-{n}")
        assert archive.part_number == 1
        archive.close(leading=[("00-INDEX.pdf", index)])

    assert len(archive.parts) == 2  # three PDFs filled part 1: the index went on
    with zipfile.ZipFile(tmp_path / "part-2.zip") as zf:
        assert zf.namelist() == ["00-INDEX.pdf", "MANIFEST-PART-2.csv", "MANIFEST-PART-2.xlsx",
                                 MANIFEST, MANIFEST_XLSX]  # fmt: skip
        assert zf.read("00-INDEX.pdf") == index.read_bytes()
