"""Zip entry names that unpack safely anywhere, and a zip streamed forward only (as to S3).
The manifests are tested with the parts that carry them: tests/jobs/test_manifest.py."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tracemalloc
import unicodedata
import zipfile
from datetime import datetime

import pytest

from jobs.archive import (
    UniqueNames,
    ZipArchive,
    entry_name,
    photo_entry_name,
    safe_component,
    slug,
)
from tests.helpers import HashingWriter, unzip_test

DATA_DESCRIPTOR = 0x08  # general purpose flag: CRC and sizes follow the data
ZIP64_EXTRA = 0x0001


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local_extra_ids(path, info: zipfile.ZipInfo) -> set[int]:
    """The extra-field ids in an entry's local header (zipfile reads only the central one)."""
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        fh.seek(name_length, os.SEEK_CUR)
        extra = fh.read(extra_length)
    ids, at = set(), 0
    while at + 4 <= len(extra):
        field_id, size = struct.unpack("<HH", extra[at : at + 4])
        ids.add(field_id)
        at += 4 + size
    return ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("..", "untitled"),
        ("/etc/passwd", "-etc-passwd"),
        ("CON", "_CON"),
        ("aux.txt", "_aux.txt"),
        ("Lpt9", "_Lpt9"),
        ("CONTRACTS", "CONTRACTS"),
        ("bell\x07tab\tnewline\nnul\x00", "bell tab newline nul"),
        ("a/b\\c", "a-b-c"),
        ("C:\\Windows", "C--Windows"),
        ("trailing dots... ", "trailing dots"),
        (".hidden", "hidden"),
        ('<>:"|?*', "-------"),
        ("right\u202eto-left", "right to-left"),
        ("", "untitled"),
        ("   ", "untitled"),
        ("Résidence Étoile", "Résidence Étoile"),
    ],
)
def test_path_component_is_cleaned(text, expected):
    assert safe_component(text) == expected


def test_long_component_is_cut_to_a_length_every_file_system_accepts():
    cleaned = safe_component("Tower " * 100)
    wide = safe_component("塔" * 300)

    assert len(cleaned) <= 100 and not cleaned.endswith(" ")
    assert len(wide.encode("utf-8")) <= 200


def test_slug_keeps_letters_of_any_script_and_drops_the_rest():
    assert slug("Crack in façade: level 2 / grid B?") == "crack-in-façade-level-2-grid-b"
    assert slug("Fissure à l'étage — \x00 <script>") == "fissure-à-l-étage-script"
    assert slug("?*<>|") == "untitled"
    assert slug("") == "untitled"


@pytest.mark.parametrize(
    ("project", "kind", "reference", "title", "expected"),
    [
        ("Harbour View", "inspection", "INS-0001", "Slab pour",
         "Harbour View/inspection/INS-0001-slab-pour.pdf"),
        ("..", "..", "../..", "../../etc/passwd", "untitled/untitled/--etc-passwd.pdf"),
        ("/abs", "issue", "ISS-1", "", "-abs/issue/ISS-1-untitled.pdf"),
        ("CON", "aux", "NUL", "prn", "_CON/_aux/_NUL-prn.pdf"),
        ("a/b\\c", "task", "TSK-2", "a/b\\c", "a-b-c/task/TSK-2-a-b-c.pdf"),
    ],
)  # fmt: skip
def test_entry_name_is_project_kind_reference_and_title_slug(
    project, kind, reference, title, expected
):
    assert entry_name(project, kind, reference, title) == expected


def test_very_long_title_still_gives_a_pdf_name_under_the_limit():
    name = entry_name("P", "ncr", "NCR-0001", "Concrete spalling " * 40).split("/")[-1]
    wide = entry_name("P", "ncr", "NCR-0001", "混凝土剥落" * 80).split("/")[-1]

    assert name.endswith(".pdf") and len(name) <= 100
    assert wide.endswith(".pdf") and len(wide.encode("utf-8")) <= 200


def test_photo_entry_name_keeps_a_plain_extension_only():
    assert photo_entry_name("P", "INS-1", "IMG 0001.JPG") == "P/photos/INS-1/IMG 0001.jpg"
    assert photo_entry_name("P", "INS-1", "../../x.jpg") == "P/photos/INS-1/-..-x.jpg"
    assert photo_entry_name("P", "INS-1", "con.png") == "P/photos/INS-1/_con.png"
    assert photo_entry_name("P", "INS-1", "shot.jp:g") == "P/photos/INS-1/shot.jp-g"


def test_names_equal_after_case_folding_get_numbered():
    names = UniqueNames()

    assert names.unique("P/issue/ISS-1-straße.pdf") == "P/issue/ISS-1-straße.pdf"
    assert names.unique("P/issue/ISS-1-STRASSE.pdf") == "P/issue/ISS-1-STRASSE-2.pdf"
    assert names.unique("P/issue/iss-1-strasse.pdf") == "P/issue/iss-1-strasse-3.pdf"
    assert names.unique("P/issue/ISS-1-other.pdf") == "P/issue/ISS-1-other.pdf"


def test_composed_and_decomposed_accents_collide():
    composed = unicodedata.normalize("NFC", "P/task/TSK-1-café.pdf")
    decomposed = unicodedata.normalize("NFD", composed)
    names = UniqueNames()

    assert names.unique(composed) == composed
    assert names.unique(decomposed) == decomposed.removesuffix(".pdf") + "-2.pdf"


def test_suffix_skips_a_name_that_is_already_taken():
    names = UniqueNames()
    names.unique("a/x.pdf")
    names.unique("a/x-2.pdf")

    assert names.unique("a/X.pdf") == "a/X-3.pdf"


def test_zip_with_three_entries_opens_and_tests_clean(tmp_path):
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"\xff\xd8" + os.urandom(5000))
    path = tmp_path / "out.zip"

    with HashingWriter(path) as out, ZipArchive(out) as archive:
        first = archive.add_bytes("P/inspection/INS-1-a.pdf", b"%PDF-1.7 one")
        second = archive.add_bytes("P/inspection/INS-2-é.pdf", b"%PDF-1.7 two")
        third = archive.add_file("photos/INS-1/photo.jpg", source)

    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [first.name, second.name, third.name]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in zf.infolist())
        # Sizes after each entry's data: the writer was never asked to seek back.
        assert all(info.flag_bits & DATA_DESCRIPTOR for info in zf.infolist())
        assert zf.read(third.name) == source.read_bytes()
    assert unzip_test(path)
    assert third.size == 5002
    assert third.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (out.tell(), out.sha256) == (path.stat().st_size, sha256_of(path))


@pytest.mark.parametrize("name", ["../evil.pdf", "/abs.pdf", "a\\b.pdf", "CON", "a//b.pdf"])
def test_archive_refuses_an_unsafe_entry_name(tmp_path, name):
    with (
        HashingWriter(tmp_path / "out.zip") as out,
        ZipArchive(out) as archive,
        pytest.raises(ValueError),
    ):
        archive.add_bytes(name, b"x")


def test_adding_a_50_mb_file_keeps_memory_flat(tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        for _ in range(50):
            out.write(os.urandom(1024 * 1024))

    with HashingWriter(tmp_path / "out.zip") as out, ZipArchive(out) as archive:
        tracemalloc.start()
        try:
            entry = archive.add_file("photos/INS-1/big.bin", big)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert entry.size == 50 * 1024 * 1024
    assert peak < 5 * 1024 * 1024


def test_an_entry_of_unknown_size_gets_a_zip64_local_header(tmp_path):
    path = tmp_path / "out.zip"
    with HashingWriter(path) as out, ZipArchive(out) as archive:
        archive.add_stream("photos/INS-1/unknown.bin", io.BytesIO(b"u" * 1000))
        archive.add_bytes("P/task/TSK-1-known.pdf", b"k" * 1000)

    with zipfile.ZipFile(path) as zf:
        unknown, known = zf.infolist()
        assert zf.read(unknown) == b"u" * 1000
    assert ZIP64_EXTRA in local_extra_ids(path, unknown)
    assert ZIP64_EXTRA not in local_extra_ids(path, known)
    assert unzip_test(path)


def test_more_than_65535_entries_streamed_forward_unzip_clean(tmp_path):
    path = tmp_path / "many.zip"
    with HashingWriter(path) as out, ZipArchive(out) as archive:
        for n in range(65_536):
            archive.add_bytes(f"P/task/TSK-{n}.pdf", b"%")

    tail = path.read_bytes()[-200:]
    assert b"PK\x06\x06" in tail and b"PK\x06\x07" in tail  # ZIP64 end record and locator
    assert unzip_test(path)
    with zipfile.ZipFile(path) as zf:
        assert len(zf.infolist()) == 65_536


def test_a_source_that_is_not_its_declared_size_is_refused(tmp_path):
    with (
        HashingWriter(tmp_path / "out.zip") as out,
        ZipArchive(out) as archive,
        pytest.raises(ValueError, match="3 bytes where 4 were declared"),
    ):
        archive.add_stream("P/task/TSK-1-x.pdf", io.BytesIO(b"abc"), 4)


def test_a_zip_left_by_an_error_has_no_central_directory(tmp_path):
    path = tmp_path / "out.zip"
    with pytest.raises(KeyError), HashingWriter(path) as out, ZipArchive(out) as archive:
        archive.add_bytes("P/task/TSK-1-x.pdf", b"%PDF")
        raise KeyError("render failed")

    assert b"PK\x05\x06" not in path.read_bytes()


def test_the_central_directory_waits_on_disk_not_in_memory(tmp_path):
    with HashingWriter(tmp_path / "many.zip") as out, ZipArchive(out) as archive:
        archive.add_bytes("P/task/TSK-0.pdf", b"%")
        tracemalloc.start()
        try:
            for n in range(1, 5_000):
                archive.add_bytes(f"P/task/TSK-{n}.pdf", b"%")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert peak < 256 * 1024  # zipfile's ZipInfo per entry held ~2.5 MB here
    with zipfile.ZipFile(tmp_path / "many.zip") as zf:
        assert len(zf.infolist()) == 5_000


def test_the_same_entries_at_the_same_time_give_the_same_bytes(tmp_path):
    moment = datetime(2026, 12, 7, 20, 30, 14)
    for name in ("one.zip", "two.zip"):
        with HashingWriter(tmp_path / name) as out, ZipArchive(out, moment) as archive:
            archive.add_bytes("P/task/TSK-1-é.pdf", b"%PDF-1")
            archive.add_stream("photos/INS-1/a.jpg", io.BytesIO(b"jpeg"))

    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as zf:
        assert zf.getinfo("P/task/TSK-1-é.pdf").date_time == (2026, 12, 7, 20, 30, 14)
