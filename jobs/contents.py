"""What a records export holds, line by line as its zip is filled: the index's lines.

Each record's PDF is counted in pages as it passes (pikepdf reads only its page tree, a
millisecond or two), so the index says how long each record is without a second read. A
line is a few short strings: 10,000 records keep about 3 MB here. Once every PDF is in,
`write` draws 00-INDEX.pdf (jobs/index_pdf.py) into the work folder, for the zip's last part,
PDF/A and signed as the export asked (jobs/handover.py).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pikepdf
from sqlalchemy import select

from jobs import handover
from jobs.index_pdf import IndexHead, IndexLine, Spot, render
from portal.branding import store
from portal.exports import wording
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export, ExportItem, Project, Record

BY_HAND = "chosen one by one (on the records page, or by id)"


def page_count(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


@dataclass
class Contents:
    lines: list[IndexLine] = field(default_factory=list)
    spots: list[Spot] = field(default_factory=list)  # where `write` drew each line

    def add(self, line: IndexLine) -> None:
        self.lines.append(line)

    def add_failure(self, label) -> None:
        """A record with no PDF (ERRORS.txt says why)."""
        self.lines.append(line_of(label, "", None, None))

    def write(self, export: Export, exported_at: datetime, work_dir: str | None) -> Path:
        """The index as a temp file in `work_dir`; the caller deletes it."""
        head = head_of(export, exported_at)
        handle, name = tempfile.mkstemp(suffix=".pdf", dir=work_dir)
        os.close(handle)
        self.spots = render(head, self.lines, name)
        handover.finish(Path(name), head)
        return Path(name)


def line_of(label, file: str, pages: int | None, part: int | None) -> IndexLine:
    """A record's line: `file` in the zip (in `part` of a split one), `pages` long."""
    facts = label.facts
    return IndexLine(label.reference, label.title, label.kind, facts.record_status,
                     facts.assignee, pages, file, part, label.project)  # fmt: skip


def projects_of(export_id: int) -> tuple[str, ...]:
    """The projects of an export across projects (it has none of its own): its records'."""
    return tuple(
        db.session.scalars(
            select(Project.name)
            .join(Record, Record.project_id == Project.id)
            .join(ExportItem, ExportItem.record_id == Record.id)
            .where(ExportItem.export_id == export_id)
            .group_by(Project.id, Project.name)
            .order_by(Project.name, Project.id)
        )
    )


def head_of(export: Export, exported_at: datetime) -> IndexHead:
    """The index's head, in the organisation's look (its logo read once per export)."""
    options = ExportOptions.of(export)
    who = export.requested_by
    brand = store.of_id(export.organization_id)
    return IndexHead(
        title=wording.title(export),
        projects=(export.project.name,) if export.project else projects_of(export.id),
        requested_by=f"{who.name} <{who.email}>",
        exported_at=exported_at,
        selection=options.selection or BY_HAND,
        paper=options.paper,
        archival=options.archival,
        signed_by=who.organization.name if options.signed else "",
        organization_id=export.organization_id,
        accent=brand.accent,
        logo=store.logo_bytes(brand),
    )
