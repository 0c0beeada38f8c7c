"""The zip format, written forward only and in constant memory, for stored (uncompressed) entries.

Python's `zipfile` keeps a `ZipInfo` per entry until the central directory is written at the
end: for a 10,000-record export that was the job's memory growing with the export. Here each
entry's central-directory record is packed as soon as the entry ends and spooled to an
anonymous temp file, so the job holds one entry's bookkeeping whatever the export's size.

The layout is zipfile's own for a stream it cannot seek (each entry's CRC and sizes follow its
data in a data descriptor), so any unzipper reads it as it read zipfile's: ZIP64 extras where
a size or offset needs them (and in the local header of an entry whose size is unknown), the
UTF-8 flag on names that are not ASCII, Unix permissions. Every entry carries one
modification time, the archive's, so the same entries give the same bytes.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
ZIP64_LIMIT = (1 << 31) - 1  # zipfile's: past this a size or offset goes into a ZIP64 extra
MAX_16, MAX_32 = 0xFFFF, 0xFFFFFFFF
DESCRIPTOR_FLAG, UTF8_FLAG = 0x08, 0x800
VERSION, VERSION_ZIP64 = 20, 45
UNIX = 3  # the system that made the entries: their permissions are Unix ones
FILE_MODE = 0o644 << 16
LOCAL = struct.Struct("<4s2B4HL2L2H")
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
DESCRIPTOR, DESCRIPTOR_64 = struct.Struct("<4sLLL"), struct.Struct("<4sLQQ")
END = struct.Struct("<4s4H2LH")
END_64 = struct.Struct("<4sQ2H2L4Q")
LOCATOR_64 = struct.Struct("<4sLQL")


@dataclass(frozen=True)
class Written:
    size: int
    crc: int


class ZipStream:
    """`with ZipStream(target, modified) as zs: zs.write_entry(name, source, size)`; leaving
    the `with` writes the central directory (not after an error: see `abandon`)."""

    def __init__(self, target: BinaryIO, modified: datetime, tmp_dir: str | Path | None = None):
        self.target = target
        self._stamp = _dos_stamp(modified)
        self._central = tempfile.TemporaryFile(dir=tmp_dir)  # noqa: SIM115 -- closed by close()
        self._central_size = 0
        self.entries = 0

    def write_entry(self, name: str, source: BinaryIO, size: int | None, on_chunk=None) -> Written:
        """Copies `source` (exactly `size` bytes, or to its end when the size is unknown) as
        one stored entry; `on_chunk` sees every chunk on the way (a digest)."""
        encoded, flags = _encode(name)
        offset = self.target.tell()
        zip64 = size is None or size > ZIP64_LIMIT
        extra = struct.pack("<2H2Q", 1, 16, 0, 0) if zip64 else b""
        lengths = (MAX_32, MAX_32) if zip64 else (0, 0)
        version = VERSION_ZIP64 if zip64 else VERSION
        self.target.write(LOCAL.pack(b"PK\x03\x04", version, 0, flags, 0, *self._stamp, 0,
                                     *lengths, len(encoded), len(extra)))  # fmt: skip
        self.target.write(encoded + extra)
        crc, written = 0, 0
        while chunk := source.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
            if on_chunk is not None:
                on_chunk(chunk)
            self.target.write(chunk)
            written += len(chunk)
        if zip64:
            self.target.write(DESCRIPTOR_64.pack(b"PK\x07\x08", crc, written, written))
        else:
            self.target.write(DESCRIPTOR.pack(b"PK\x07\x08", crc, written, written))
        self._remember(encoded, flags, version, crc, written, offset)
        return Written(written, crc)

    def _remember(self, encoded: bytes, flags: int, version, crc, size, offset) -> None:
        """The entry's central-directory record, packed now and spooled."""
        big = [size, size] if size > ZIP64_LIMIT else []
        if offset > ZIP64_LIMIT:
            big.append(offset)
        extra = struct.pack(f"<2H{len(big)}Q", 1, 8 * len(big), *big) if big else b""
        version = VERSION_ZIP64 if extra else version
        shown = MAX_32 if size > ZIP64_LIMIT else size
        record = CENTRAL.pack(
            b"PK\x01\x02", version, UNIX, version, 0,
            flags, 0, *self._stamp, crc, shown, shown, len(encoded), len(extra), 0, 0, 0,
            FILE_MODE, MAX_32 if offset > ZIP64_LIMIT else offset,
        )  # fmt: skip
        self._central.write(record + encoded + extra)
        self._central_size += len(record) + len(encoded) + len(extra)
        self.entries += 1

    def finish(self) -> None:
        """The central directory and the end records (ZIP64 ones when the count, the size or
        the offset of the directory need them)."""
        start = self.target.tell()
        self._central.seek(0)
        shutil.copyfileobj(self._central, self.target, CHUNK)
        size, count = self._central_size, self.entries
        if count > MAX_16 or start > ZIP64_LIMIT or size > ZIP64_LIMIT:
            end_64 = self.target.tell()
            self.target.write(END_64.pack(b"PK\x06\x06", 44, VERSION_ZIP64, VERSION_ZIP64, 0, 0,
                                          count, count, size, start))  # fmt: skip
            self.target.write(LOCATOR_64.pack(b"PK\x06\x07", 0, end_64, 1))
            count, size, start = min(count, MAX_16), min(size, MAX_32), min(start, MAX_32)
        self.target.write(END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))

    def close(self) -> None:
        self._central.close()


def _encode(name: str) -> tuple[bytes, int]:
    """The name's bytes and the flags: a data descriptor always, UTF-8 when not ASCII."""
    try:
        return name.encode("ascii"), DESCRIPTOR_FLAG
    except UnicodeEncodeError:
        return name.encode("utf-8"), DESCRIPTOR_FLAG | UTF8_FLAG


def _dos_stamp(moment: datetime) -> tuple[int, int]:
    """(time, date) as MS-DOS keeps them: two-second steps, years from 1980."""
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((max(moment.year, 1980) - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date
