"""The export's zip: written to a stream entry by entry, with names safe to unpack anywhere.

Nothing here holds an entry in memory: PDFs and photos stream into the zip as they are made
(the manifests, and splitting an export into parts, are jobs/parts.py's). ZIP_STORED
because PDFs and JPEGs do not compress; ZIP64 because an export may pass 4 GB or 65,535
entries. Entry names come from user text, so every path component is cleaned for the
strictest unzipper (Windows) and checked again when written.

The target is any writable stream with `tell()`: an S3 upload (`portal.storage.multipart`) or
a local file. The zip is written forward only (jobs/zipstream.py): each entry's CRC and sizes
follow its data in a data descriptor, and ZIP64 is chosen from the size declared up front.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from jobs.zipstream import ZipStream

MAX_COMPONENT_CHARS = 100
# Linux file systems allow 255 bytes per name; leave room for a "-17" uniqueness suffix.
MAX_COMPONENT_BYTES = 200
NAME_BYTES_LIMIT = 255
MAX_SLUG_CHARS = 60
FALLBACK = "untitled"
WINDOWS_ILLEGAL = re.compile(r'[<>:"/\\|?*]')
WINDOWS_RESERVED = re.compile(
    r"(CON|CONIN\$|CONOUT\$|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?", re.IGNORECASE
)
CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
PLAIN_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ArchiveEntry:
    name: str
    size: int
    sha256: str


def safe_component(
    text: str, max_chars: int = MAX_COMPONENT_CHARS, max_bytes: int = MAX_COMPONENT_BYTES
) -> str:
    """One path component that unpacks as itself on Windows, macOS and Linux.

    Separators and Windows-illegal characters become "-", so nothing can climb out of its
    folder; leading and trailing dots and spaces go (no "..", no hidden files, no names
    Windows silently truncates); reserved device names get a "_" in front.
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(ch) in CONTROL_CATEGORIES else ch for ch in text)
    text = " ".join(WINDOWS_ILLEGAL.sub("-", text).split())
    text = _truncate(text.strip(". "), max_chars, max_bytes).strip(". ")
    if not text:
        return FALLBACK
    return f"_{text}" if WINDOWS_RESERVED.fullmatch(text) else text


def slug(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """Lower-case words joined by "-", keeping every script's letters (é stays é)."""
    text = unicodedata.normalize("NFC", text).lower()
    kept = "".join(ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else " " for ch in text)
    words = kept.split()
    joined = "-".join(words)
    while len(joined) > max_chars and len(words) > 1:
        words.pop()
        joined = "-".join(words)
    return joined[:max_chars].strip("-") or FALLBACK


def entry_name(project_name: str, kind: str, reference: str, title: str) -> str:
    """`<project>/<kind>/<REF>-<title-slug>.pdf`, each part cleaned on its own."""
    filename = _safe_filename(f"{safe_component(reference, 30)}-{slug(title)}", ".pdf")
    return f"{safe_component(project_name)}/{safe_component(kind)}/{filename}"


def photo_entry_name(project_name: str, reference: str, filename: str) -> str:
    """`<Project>/photos/<REF>/<original filename>` for the originals, when an export asks for
    them: in the project's folder, as a reference is unique only within its project (an
    export across projects may hold two INS-0001)."""
    stem, extension = os.path.splitext(filename)
    if not PLAIN_EXTENSION.fullmatch(extension):
        stem, extension = filename, ""
    photo = _safe_filename(stem, extension.lower())
    return f"{safe_component(project_name)}/photos/{safe_component(reference, 30)}/{photo}"


def path_entry_name(path: str, extension: str = "") -> str:
    """A name someone chose, folders allowed ("Drawings/A-101 rev C.pdf"): each component
    cleaned, empty, "." and ".." ones dropped (nothing climbs out), `extension` added to the
    file name when it has none of its own."""
    parts = [p for p in path.replace("\\", "/").split("/") if p.strip() not in ("", ".", "..")]
    *folders, filename = parts or [FALLBACK]
    stem, own = os.path.splitext(filename)
    if PLAIN_EXTENSION.fullmatch(own):
        stem, extension = stem, own
    else:
        stem = filename
    return "/".join([*map(safe_component, folders), _safe_filename(stem, extension.lower())])


def _safe_filename(stem: str, extension: str) -> str:
    """Shortens the stem, never the extension, so a long title still ends in `.pdf`."""
    budget = len(extension.encode("utf-8"))
    return (
        safe_component(stem, MAX_COMPONENT_CHARS - budget, MAX_COMPONENT_BYTES - budget) + extension
    )


def _truncate(text: str, max_chars: int, max_bytes: int) -> str:
    cut = text[:max_chars].encode("utf-8")[:max_bytes]
    return cut.decode("utf-8", errors="ignore")


class UniqueNames:
    """Hands out names that stay distinct on case-insensitive, normalising file systems.

    "Straße.pdf" and "STRASSE.pdf", or é composed and decomposed, would overwrite each other
    when unpacked on Windows or macOS, so the second gets "-2" before its extension.
    Names are remembered by a 64-bit digest of their folded form, not as text: a 10,000-entry
    export holds 10,000 small integers. (Two names sharing a digest by chance, about one
    export in 10^11 at that size, would only give the second a suffix it did not need.)
    """

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._next_suffix: dict[int, int] = {}

    def unique(self, name: str) -> str:
        """Returns `name`, or `name` with the next free "-N" suffix when it is taken."""
        base, candidate = _fold(name), name
        if base in self._taken:
            suffix = self._next_suffix.get(base, 2)
            while _fold(candidate := _with_suffix(name, f"-{suffix}")) in self._taken:
                suffix += 1
            self._next_suffix[base] = suffix + 1
        self._taken.add(_fold(candidate))
        return candidate


def _fold(name: str) -> int:
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())
    return int.from_bytes(hashlib.blake2b(folded.encode(), digest_size=8).digest(), "big")


def _with_suffix(name: str, suffix: str) -> str:
    folder, _, filename = name.rpartition("/")
    stem, dot, extension = filename.rpartition(".")
    filename = f"{stem}{suffix}.{extension}" if dot and stem else f"{filename}{suffix}"
    return f"{folder}/{filename}" if folder else filename


class ZipArchive:
    """A zip that entries stream into, in constant memory (jobs/zipstream.py), written to
    `target` (left open: whoever opened it closes it, which for an upload is what completes
    it). Every entry is dated `modified`, the export's time, so the same entries give the
    same bytes."""

    def __init__(
        self, target: BinaryIO, modified: datetime | None = None, tmp_dir: str | Path | None = None
    ):
        self.target = target
        self._modified, self._tmp_dir = modified or datetime.now(), tmp_dir
        self._zip: ZipStream | None = None

    def __enter__(self) -> ZipArchive:
        self._zip = ZipStream(self.target, self._modified, self._tmp_dir)
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        """After an error the zip is left unfinished: no central directory is written to a
        target that may be the cause, and whose owner discards it (an aborted upload)."""
        try:
            if exc_type is None:
                self._zip.finish()
        finally:
            self._zip.close()

    def add_bytes(self, name: str, data: bytes) -> ArchiveEntry:
        return self.add_stream(name, InMemory(data), len(data))

    def add_file(self, name: str, path: str | Path) -> ArchiveEntry:
        with open(path, "rb") as source:
            return self.add_stream(name, source, Path(path).stat().st_size)

    def add_stream(
        self, name: str, source: BinaryIO, size: int | None = None, sha256: str | None = None
    ) -> ArchiveEntry:
        """Copies `source` in chunks, hashing as it goes unless the caller knows the digest
        already (a cached PDF was just checked against it: a second pass would cost a
        quarter of assembling it). Without a size, ZIP64 is forced; with one, the source
        must hold exactly that many bytes (ZIP64 was chosen, and a part's room measured,
        from it)."""
        digest = None if sha256 else hashlib.sha256()
        written = self._zip.write_entry(
            _checked_name(name), source, size, digest.update if digest else None
        )
        if size is not None and written.size != size:
            raise ValueError(f"{name}: {written.size} bytes where {size} were declared")
        return ArchiveEntry(name, written.size, sha256 or digest.hexdigest())


class InMemory:
    """Bytes read as a stream without copying them: `read(n)` hands out views of the next n
    bytes. (`io.BytesIO.read` copies each chunk: for a 2 MB cached PDF that was one more
    pass over every byte of a warm export.)"""

    def __init__(self, data: bytes):
        self._view, self._at = memoryview(data).cast("B"), 0

    def read(self, size: int = -1) -> memoryview:
        end = len(self._view) if size < 0 else self._at + size
        chunk = self._view[self._at : end]
        self._at += len(chunk)
        return chunk


def _checked_name(name: str) -> str:
    """Refuses any name that did not come through safe_component, as a second line of defence."""
    parts = name.split("/")
    if any(part != safe_component(part, len(part), NAME_BYTES_LIMIT) for part in parts):
        raise ValueError(f"unsafe zip entry name: {name!r}")
    return name


def csv_cells(*values: object) -> list[object]:
    """Defuses spreadsheet formulas: a cell starting with = + - @ is shown as text."""
    return [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values]


def one_line(text: str) -> str:
    """Any text as one line of ERRORS.txt: runs of whitespace, newlines too, become a space."""
    return " ".join(str(text).split()) or "(none)"
