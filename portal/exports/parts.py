"""An export's zips as people see them: "Part 2 of 3 — 3.9 GB", and the name S3 serves.

Most exports are one zip, and every page and email shows those exactly as before parts
existed; an export past EXPORT_PART_BYTES is several zips, each listed with its own link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from portal.formatting import filesize
from portal.models import Export


@dataclass(frozen=True)
class PartView:
    number: int
    of: int
    byte_size: int
    # The worker names the object after the file (jobs/assemble.part_name), and S3 serves it
    # with that name.
    file_name: str
    sha256: str
    total: int  # the records (or a bundle's files) this zip holds

    @property
    def label(self) -> str:
        return f"Part {self.number} of {self.of} — {filesize(self.byte_size)}"


def parts_of(export: Export) -> list[PartView]:
    of = len(export.parts)
    return [
        PartView(
            part.number,
            of,
            part.byte_size,
            PurePosixPath(part.object_key).name,
            part.sha256,
            part.records,
        )
        for part in export.parts
    ]
