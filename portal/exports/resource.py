"""The export resource: one export, described once from its row, the same whoever asks.

The API's export (api/present.export_out, api/schemas.ExportOut) adds what its caller sees
and may do; a webhook sends it as it is (webhooks/payload.py), so an integrator reads one
shape from both doors, described once in the OpenAPI document (api/spec.py publishes these
models under `components` and `webhooks`). It lives outside portal/api/ because the worker
builds it: an attempt's end is an event, and an event a webhook's body.

The names, where the API and the webhook used to differ:
- `total` (with `done`), not `records`: a bundle's items are files, and `done` of `total` is
  the progress every door shows.
- `project` is `{id, name}`: a receiver can tell a person which project without another call,
  and the id is still there to match.
- `title` is what the export is called wherever it is shown (the title asked for, or its
  default; a bundle's name). `name` stays a bundle's name alone, as receivers of it expect.
- `download`, not `download_url`: links are named for where they lead (`links.self`,
  `links.page`); that they are URLs is their type. Download links are the API's, which an
  integrator's key opens; `links.page` is the portal page, for a person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from portal import urls
from portal.exports import states, wording
from portal.exports.options import ExportOptions
from portal.exports.parts import PartView, parts_of
from portal.extensions import db
from portal.models import Export, ExportKind, ExportStatus
from portal.renders.entries import PAPER_SIZES
from portal.vocabulary import EXPORT_LAYOUTS, EXPORT_ORDERS
from portal.webhooks.catalogue import EventType

Paper = Literal[PAPER_SIZES]  # type: ignore[valid-type]
Layout = Literal[tuple(EXPORT_LAYOUTS)]  # type: ignore[valid-type]
Order = Literal[tuple(EXPORT_ORDERS)]  # type: ignore[valid-type]
LAYOUT_DOC = (
    "What the zip holds besides 00-INDEX.pdf and the manifests: `files`, one PDF per record; "
    "`combined`, one PDF of them all (in volumes past EXPORT_COMBINED_VOLUME_BYTES) with an "
    "outline and links from its index; `both`"
)
ORDER_DOC = "The records' order in the zip, index and combined PDF (the reference breaks ties)"
State = Literal[tuple(s.value for s in ExportStatus)]  # type: ignore[valid-type]
ExportKindName = Literal[tuple(k.value for k in ExportKind)]  # type: ignore[valid-type]
EventName = Literal[tuple(e.value for e in EventType)]  # type: ignore[valid-type]


def as_utc(value: datetime) -> datetime:
    """The database keeps naive UTC; the API says so (RFC 3339, with `Z`)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Timestamp = Annotated[datetime, AfterValidator(as_utc)]


class ExportOptionsOut(BaseModel):
    """What the export was asked for, as the API's request (api/schemas.ExportOptionsIn) says
    it."""

    paper: Paper
    include_originals: bool
    layout: Layout = Field(description=LAYOUT_DOC)
    order: Order = Field(description=ORDER_DOC)
    archival: bool  # PDF/A-3a tagged as PDF/UA-1, or plain PDF
    signed: bool  # the index and the combined PDF signed with the organisation's certificate


class PartOut(BaseModel):
    number: int
    file_name: str
    byte_size: int
    sha256: str
    total: int = Field(description="The records (or a bundle's files) this zip holds")
    download: str | None = Field(
        description="GET it with your key for a 302 to a URL that lives 60 seconds; "
        "null once the export cannot be downloaded (expired, revoked)"
    )


class ProjectRef(BaseModel):
    id: str
    name: str


class ResourceLinks(BaseModel):
    self: str = Field(description="The export in this API")
    page: str = Field(description="Its page in the portal, for a person (who logs in there)")
    download: str | None = Field(
        description="Its first zip, as `parts[0].download`; null unless it can be downloaded"
    )


class ExportResource(BaseModel):
    """An export as it is, whoever asks: the API's export adds what its caller may do, and a
    webhook sends exactly this as its `data` (`export_resource` builds it)."""

    id: str
    kind: ExportKindName = Field(description="Records rendered, or links fetched")
    title: str = Field(
        description="What the export is called: the title asked for (or its default), a "
        "bundle's name; its zip is named after it"
    )
    name: str | None = Field(description="A bundle's name, as requested; null for records")
    project: ProjectRef | None = Field(
        description="Null for an export across projects, and a bundle filed under no project"
    )
    state: State
    done: int
    total: int = Field(description="Records to render plus a bundle's or pack's files to fetch")
    records: int = Field(description="Of `total`, the records, each rendered to a PDF")
    files: int = Field(description="Of `total`, the links, each fetched as a file")
    warnings: int = Field(description="Items in ERRORS.txt: records_failed plus files_failed")
    records_failed: int = Field(description="Records that could not be rendered")
    files_failed: int = Field(description="Links that could not be fetched")
    options: ExportOptionsOut
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    expires_at: Timestamp | None
    byte_size: int | None
    error: str | None
    revoke_reason: str | None = Field(description="Why an admin revoked it")
    parts: list[PartOut]
    reordered_from: str | None
    completes: str | None = Field(
        description="The export whose failed records and links this one exports again"
    )
    links: ResourceLinks


class ExportEvent(BaseModel):
    """A webhook's body, after Standard Webhooks (type, timestamp, data): `data` is the export
    resource as it was when the event happened."""

    type: EventName
    version: Literal[2] = Field(description="The shape of this body; 1 had no `version`")
    timestamp: Timestamp
    data: ExportResource


def export_resource(export: Export) -> ExportResource:
    options = ExportOptions.of(export)
    state = states.effective(export)
    downloadable = states.allowed_by_anyone(state, states.Action.DOWNLOAD)
    parts = [part_out(export, part, downloadable) for part in parts_of(export)]
    project = export.project
    return ExportResource(
        id=export.public_id,
        kind=export.kind,
        title=wording.title(export),
        name=options.name if export.is_bundle else None,
        project=ProjectRef(id=project.public_id, name=project.name) if project else None,
        state=state.value,
        done=export.done,
        total=export.total,
        records=wording.records(export),
        files=export.files,
        warnings=export.warnings,
        records_failed=wording.records_failed(export),
        files_failed=export.files_failed,
        options=ExportOptionsOut(
            paper=options.paper,
            include_originals=options.include_originals,
            layout=options.layout,
            order=options.order,
            archival=options.archival,
            signed=options.signed,
        ),
        created_at=export.created_at,
        started_at=export.started_at,
        finished_at=export.finished_at,
        expires_at=export.expires_at,
        byte_size=export.byte_size,
        error=export.error,
        revoke_reason=export.revoke_reason,
        parts=parts,
        reordered_from=export_public_id(export.reordered_from_id),
        completes=export_public_id(export.completes_id),
        links=ResourceLinks(
            self=urls.api_export(export.public_id),
            page=urls.export_page(export.public_id),
            download=urls.api_download(export.public_id) if downloadable else None,
        ),
    )


def part_out(export: Export, part: PartView, downloadable: bool) -> PartOut:
    """A zip's size and checksum stay after it is gone: they say what was delivered."""
    return PartOut(
        number=part.number,
        file_name=part.file_name,
        byte_size=part.byte_size,
        sha256=part.sha256,
        total=part.total,
        download=urls.api_download(export.public_id, part.number) if downloadable else None,
    )


def export_public_id(export_id: int | None) -> str | None:
    return db.session.get(Export, export_id).public_id if export_id else None
