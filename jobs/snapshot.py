"""What one record's PDF is made from: frozen, typed, plain values, built only by jobs/load.py.

These cross into render processes, so they hold no model, no session and no photo bytes
(photos travel by key; each render process reads them itself). Nothing here is about the
moment of export: the same record version gives the same snapshot, hence the same PDF.
The types live apart from jobs/load.py so that the renderer, and anything unpickling a
snapshot, never imports the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portal.branding.brand import Branding
from portal.renders import entries
from portal.renders.entries import Look, RenderInputs


@dataclass(frozen=True)
class ProjectSnapshot:
    name: str
    code: str
    address: str


@dataclass(frozen=True)
class ChecklistLine:
    label: str
    result: str
    comment: str


@dataclass(frozen=True)
class PhotoRef:
    """A photo as the PDF shows it: its report-size rendition, read by key at render time."""

    rendition_key: str
    sha256: str  # the attachment's (of the original upload): the rendition is made from it
    caption: str
    filename: str
    taken_at: datetime | None = None  # EXIF DateTimeOriginal, the camera's clock
    taken_by: str = ""

    def material(self) -> tuple[str, ...]:
        return entries.photo_material(
            self.sha256, self.caption, self.filename, self.taken_at, self.taken_by
        )


@dataclass(frozen=True)
class SignOff:
    """The record's sign-off block; empty values leave lines to fill in by hand."""

    name: str = ""
    role: str = ""
    date: date | None = None
    signature_key: str | None = None  # a PNG Sitepack redrew (portal/signatures.py)


@dataclass(frozen=True)
class OriginalRef:
    """An uploaded photo as it came, for exports that include the originals."""

    key: str
    filename: str


@dataclass(frozen=True)
class RecordSnapshot:
    organization_id: int
    record_id: int
    version: int
    look: Look
    verify_url: str  # /v/<code> of this version (portal/renders/codes.py): footer and QR code
    organization: str
    branding: Branding
    project: ProjectSnapshot
    reference: str
    kind: str
    title: str
    status: str
    location: str
    trade: str
    assignee: str
    due_date: date | None
    created_at: datetime  # naive UTC, as stored
    updated_at: datetime
    description: str
    checklist: tuple[ChecklistLine, ...] = ()
    photos: tuple[PhotoRef, ...] = ()
    originals: tuple[OriginalRef, ...] = ()
    load_error: str | None = None  # why the record cannot be exported, found while loading
    raised_by: str = ""
    closed_by: str = ""
    closed_at: datetime | None = None
    root_cause: str = ""  # an NCR's findings: root cause, disposition, corrective action
    disposition: str = ""
    corrective_action: str = ""
    sign_off: SignOff = SignOff()

    def render_inputs(self) -> RenderInputs:
        """What decides this record's PDF bytes besides the template: the render cache's key
        material (with `jobs.render.template_hash()`). Stable across processes and days."""
        return entries.inputs(
            self.organization_id,
            self.record_id,
            self.version,
            [photo.material() for photo in self.photos],
            (self.project.name, self.project.code, self.project.address),
            self.organization,
            self.look,
            self.branding.render_inputs(),
            self.verify_url,
        )
