"""The typed models of /api/v1: every request is validated by one, every response built from
one, and the OpenAPI document is generated from the same models (portal/api/spec.py).

Allowed values come from where the rule lives (record kinds and statuses from the models,
paper sizes from the render cache, export states from ExportStatus), never retyped here. The
export resource, which the worker builds for webhooks too, is portal/exports/resource.py's;
ExportOut extends it here with what the caller sees.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from portal.exports.options import (
    DEFAULT_LAYOUT,
    DEFAULT_ORDER,
    MAX_NAME_CHARS,
    MAX_URL_CHARS,
    NAME_MAX,
)
from portal.exports.resource import (
    LAYOUT_DOC,
    ORDER_DOC,
    ExportResource,
    Layout,
    Order,
    Paper,
    ResourceLinks,
    Timestamp,
)
from portal.models.lengths import (
    CHECK_LABEL_MAX,
    NCR_TEXT_MAX,
    PERSON_NAME_MAX,
    PHOTO_CAPTION_MAX,
    RECORD_ASSIGNEE_MAX,
    RECORD_LOCATION_MAX,
    RECORD_REFERENCE_MAX,
    RECORD_TITLE_MAX,
    RECORD_TRADE_MAX,
    RRULE_MAX,
    SCHEDULE_NAME_MAX,
    SIGN_OFF_ROLE_MAX,
    TIMEZONE_MAX,
)
from portal.records.filters import MAX_QUERY_LENGTH, RecordFilter, clean_text
from portal.renders.entries import DEFAULT_PAPER
from portal.screening import unstorable
from portal.signatures import SIGNATURE_MAX_BYTES
from portal.tenancy import MAX_IDS_PER_REQUEST, PUBLIC_ID
from portal.vocabulary import CHECK_RESULTS, NCR_DISPOSITIONS, RECORD_KINDS, RECORD_STATUSES

Kind = Literal[tuple(RECORD_KINDS)]  # type: ignore[valid-type]
Status = Literal[RECORD_STATUSES]  # type: ignore[valid-type]
CheckResult = Literal[CHECK_RESULTS]  # type: ignore[valid-type]
Disposition = Literal[("", *NCR_DISPOSITIONS)]  # type: ignore[valid-type]
NCR_FIELDS = ("root_cause", "disposition", "corrective_action")
Day = date  # for the sign-off's field called `date`, which would shadow the type
# A photo's EXIF DateTimeOriginal: the camera's own clock, of no known zone, so no date-time
# in RFC 3339's sense (which needs an offset); written as the camera wrote it, ISO-style.
CameraTime = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
            "description": "When the camera says it was taken (EXIF), its own clock: no zone",
        }
    ),
]
PUBLIC_ID_PATTERN = f"^{PUBLIC_ID.pattern}$"
PublicId = Field(pattern=PUBLIC_ID_PATTERN)
# The projects one export across projects may name.
MAX_PROJECTS_PER_EXPORT = 100
# A record's reference in the system that owns it (and on its PDF), e.g. "INS-0042".
EXTERNAL_REF = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{RECORD_REFERENCE_MAX - 1}}}")
PAGE_LIMIT_MAX = 200
# Cursors are ASCII this API made (portal/api/cursor.py); anything longer is not one.
Cursor = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="`next` of a page")


class Strict(BaseModel):
    """Request models refuse unknown fields (a misspelt option is an error, not a no-op) and
    the text portal/screening.py refuses: bodies are screened before validation, query
    strings here."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def storable(cls, value):
        reason = unstorable(value) if isinstance(value, str) else None
        if reason:
            raise ValueError(f"must not contain {reason}")
        return value


class FieldError(BaseModel):
    field: str = Field(description="Where: `body.record_ids.3`, `query.limit`, ...")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document (served as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


class ProjectOut(BaseModel):
    id: str
    name: str
    code: str
    address: str
    records: int
    open_records: int


class ProjectList(BaseModel):
    items: list[ProjectOut]


class RecordFilterIn(Strict):
    """The records page's filters; all optional, combined with AND."""

    kind: Kind | None = None
    status: Status | None = None
    q: str = Field(default="", max_length=MAX_QUERY_LENGTH, description="In reference or title")
    created_from: date | None = None
    created_to: date | None = None

    def as_filter(self) -> RecordFilter:
        """The records page's filter with these values, so both select the same records."""
        return RecordFilter(
            kind=self.kind,
            status=self.status,
            q=clean_text(self.q),
            date_from=self.created_from,
            date_to=self.created_to,
        )


class RecordsQuery(RecordFilterIn):
    cursor: str | None = Cursor
    limit: int = Field(default=50, ge=1, le=PAGE_LIMIT_MAX)


class ChecklistLine(Strict):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    label: str = Field(min_length=1, max_length=CHECK_LABEL_MAX)
    result: CheckResult
    comment: str = Field(default="", max_length=2000)


class Shown(BaseModel):
    """A response model read straight from a row's attributes (`Model.model_validate(row)`)."""

    model_config = ConfigDict(from_attributes=True)


class PhotoOut(Shown):
    id: str = Field(validation_alias="public_id")
    filename: str
    content_type: str
    byte_size: int
    sha256: str
    caption: str
    taken_at: CameraTime | None
    taken_by: str


class SignOffIn(Strict):
    """The record's sign-off block; what is left out stays a line to fill in by hand."""

    name: str = Field(default="", max_length=PERSON_NAME_MAX)
    role: str = Field(default="", max_length=SIGN_OFF_ROLE_MAX)
    date: Day | None = None
    signature: str | None = Field(
        default=None,
        max_length=(SIGNATURE_MAX_BYTES + 2) // 3 * 4,
        pattern=r"^[A-Za-z0-9+/]*={0,2}$",
        description=f"A PNG or JPEG, base64, at most {SIGNATURE_MAX_BYTES // 1024} KB",
    )


class SignOffOut(Shown):
    name: str = Field(validation_alias="sign_off_name")
    role: str = Field(validation_alias="sign_off_role")
    date: Day | None = Field(validation_alias="sign_off_date")
    signature_sha256: str | None = Field(description="Of the PNG Sitepack drew from it")


class RecordIn(Strict):
    """A record as the system that owns it holds it: the PUT replaces all of it."""

    kind: Kind
    title: str = Field(min_length=1, max_length=RECORD_TITLE_MAX)
    status: Status = "open"
    location: str = Field(default="", max_length=RECORD_LOCATION_MAX)
    trade: str = Field(default="", max_length=RECORD_TRADE_MAX)
    assignee: str = Field(default="", max_length=RECORD_ASSIGNEE_MAX)
    due_date: date | None = None
    description: str = Field(default="", max_length=20_000)
    checklist: list[ChecklistLine] = Field(default_factory=list, max_length=200)
    raised_by: str = Field(default="", max_length=PERSON_NAME_MAX)
    closed_by: str = Field(default="", max_length=PERSON_NAME_MAX)
    closed_at: AwareDatetime | None = Field(default=None, description="With its zone")
    root_cause: str = Field(default="", max_length=NCR_TEXT_MAX, description="NCRs only")
    disposition: Disposition = Field(default="", description="NCRs only")
    corrective_action: str = Field(default="", max_length=NCR_TEXT_MAX, description="NCRs only")
    sign_off: SignOffIn = Field(default_factory=SignOffIn)

    @model_validator(mode="after")
    def findings_only_on_ncrs(self) -> RecordIn:
        given = [name for name in NCR_FIELDS if getattr(self, name)]
        if given and self.kind != "ncr":
            raise ValueError(f"only an NCR has {', '.join(given)}")
        return self


class RecordOut(Shown):
    id: str = Field(validation_alias="public_id")
    external_ref: str = Field(validation_alias="reference")
    kind: str
    title: str
    status: str
    location: str
    trade: str
    assignee: str
    due_date: date | None
    description: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int
    checklist: list[ChecklistLine]
    photos: list[PhotoOut] = Field(validation_alias="attachments")
    raised_by: str
    closed_by: str
    closed_at: Timestamp | None
    root_cause: str
    disposition: str
    corrective_action: str
    # The record's sign_off_* columns, filled in by portal/api/present.py.
    sign_off: SignOffOut | None = None


class RecordPage(BaseModel):
    items: list[RecordOut]
    next: str | None = Field(description="URL of the next page; null on the last")


class PhotoForm(Strict):
    photo: Any = Field(
        json_schema_extra={"type": "string", "format": "binary"},
        description="The photo file (JPEG, PNG, ...)",
    )
    caption: str = Field(default="", max_length=PHOTO_CAPTION_MAX)
    taken_by: str = Field(default="", max_length=PERSON_NAME_MAX, description="Else the key's user")


class ExportOptionsIn(Strict):
    paper: Paper = DEFAULT_PAPER
    include_originals: bool = False
    layout: Layout = Field(default=DEFAULT_LAYOUT, description=LAYOUT_DOC)
    order: Order = Field(default=DEFAULT_ORDER, description=ORDER_DOC)
    archival: bool | None = Field(
        default=None,
        description="Record PDFs as PDF/A-3a, tagged as PDF/UA-1 (true) or plain PDF (false); "
        "absent: the organisation's default.",
    )
    signed: bool | None = Field(
        default=None,
        description="The index and the combined PDF signed (PAdES) with the organisation's "
        "certificate; absent: signed when the organisation signs its exports. true is refused "
        "when it does not.",
    )


def no_default(schema: dict) -> None:
    """An optional field that may be absent but not null: no `"default": null` to document."""
    schema.pop("default", None)


class ExportIn(Strict):
    """Which records: `record_ids` (ids from the records listing) or `filter`, not both; of
    one `project`, or across several (`project_ids`: a folder and an index section each)."""

    # Exactly one of each two, as the document says too (absent, not null).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {"oneOf": [{"required": ["record_ids"]}, {"required": ["filter"]}]},
                {"oneOf": [{"required": ["project"]}, {"required": ["project_ids"]}]},
            ]
        },
    )

    project: str = Field(default=None, pattern=PUBLIC_ID_PATTERN, json_schema_extra=no_default)
    project_ids: list[Annotated[str, PublicId]] = Field(
        default=None,
        min_length=1,
        max_length=MAX_PROJECTS_PER_EXPORT,
        json_schema_extra=no_default,
        description="An export across projects: the projects its records come from",
    )
    record_ids: list[str] = Field(
        default=None, min_length=1, max_length=MAX_IDS_PER_REQUEST, json_schema_extra=no_default
    )
    filter: RecordFilterIn = Field(default=None, json_schema_extra=no_default)
    options: ExportOptionsIn = Field(default_factory=ExportOptionsIn)
    title: str = Field(
        default="",
        max_length=NAME_MAX,
        description="What to call the export (its pages, emails and zip); blank: "
        "“<project> — 146 records — 7 Dec 2026”, or across projects "
        "“<organisation> — 146 records — 7 Dec 2026”",
    )
    dry_run: bool = Field(
        default=False,
        description="true: ask nothing, answer 200 with an ExportEstimate of what this request "
        "would make (no export, no job, no Idempotency-Key used, no request counted)",
    )

    @model_validator(mode="after")
    def one_selection(self) -> ExportIn:
        if (self.record_ids is None) == (self.filter is None):
            raise ValueError("give either record_ids or filter (exactly one of them)")
        if (self.project is None) == (self.project_ids is None):
            raise ValueError("give either project or project_ids (exactly one of them)")
        return self


class LinkModel(Strict):
    url: str = Field(min_length=1, max_length=MAX_URL_CHARS, description="http or https")
    name: str | None = Field(
        default=None,
        max_length=MAX_NAME_CHARS,
        description="Its path in the zip, folders allowed: `Drawings/A-101 rev C.pdf`; "
        "without one, the server's file name or the URL's",
    )


class BundleIn(Strict):
    """A list of URLs to fetch into one zip; each URL once (the first name given wins)."""

    name: str = Field(min_length=1, max_length=NAME_MAX)
    links: list[LinkModel] = Field(min_length=1, description="At most BUNDLE_MAX_URLS")
    project: str | None = Field(
        default=None, pattern=PUBLIC_ID_PATTERN, description="File it under a project"
    )
    ttl_hours: int | None = Field(
        default=None, ge=1, description="How long its link works; the default is 24 h"
    )


class ExportHeaders(BaseModel):
    """POST /exports reads one header of its own; the others (Authorization, ...) pass."""

    idempotency_key: str | None = Field(
        default=None,
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description="Retrying with the same key answers with the first request's export",
    )


class RedoOf(BaseModel):
    """What an Idempotency-Key on POST /exports/{id}/redo stands for: redoing that export."""

    export: str


class ExportLinks(ResourceLinks):
    """The resource's links, and the actions this caller may take now."""

    cancel: str | None = None
    retry: str | None = None
    reorder: str | None = None
    reordered_as: str | None = None
    redo: str | None = Field(
        default=None, description="POST: export again, as a new export, only what failed"
    )
    redone_as: str | None = Field(default=None, description="The export that did")


class ExportOut(ExportResource):
    """The export resource, with what the caller sees of it and may do with it."""

    label: str = Field(description="The state in words, as the portal shows it")
    percent: int
    eta_seconds: int | None = Field(description="Time left while live; null when unknown")
    links: ExportLinks


class ExportEstimate(BaseModel):
    """What a request would make, estimated from the render cache and the lane's pace
    (portal/exports/estimate.py, as the records page's selection bar shows it)."""

    records: int
    photos: int
    cached: int = Field(description="Records whose PDF the render cache likely holds")
    hit_ratio: float = Field(ge=0, le=1)
    byte_size: int = Field(description="Bytes of the zip(s), the options as asked")
    originals_bytes: int = Field(
        description="What `include_originals` adds (already in byte_size when it is true)"
    )
    seconds: float = Field(description="From start to ready, at the lane's recent pace")
    parts: int = Field(description="Zips it makes (EXPORT_PART_BYTES each at most)")
    parts_with_originals: int = Field(description="Zips it makes with `include_originals`")
    lane: str = Field(description="The queue it would run on")


class ExportPage(BaseModel):
    items: list[ExportOut]
    next: str | None


class PageQuery(Strict):
    cursor: str | None = Cursor
    limit: int = Field(default=50, ge=1, le=PAGE_LIMIT_MAX)


class DownloadQuery(Strict):
    part: int = Field(default=1, ge=1, le=9999)


class ScheduleIn(Strict):
    """A scheduled export: the records page's filter on a project, an RFC 5545 rule read on a
    time zone's wall clock."""

    name: str = Field(min_length=1, max_length=SCHEDULE_NAME_MAX)
    project: str = Field(pattern=PUBLIC_ID_PATTERN)
    filter: RecordFilterIn = Field(default_factory=RecordFilterIn)
    rrule: str = Field(
        max_length=RRULE_MAX,
        description="RFC 5545 RRULE, at most hourly: FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0",
    )
    timezone: str = Field(max_length=TIMEZONE_MAX, description="IANA zone, e.g. Europe/London")
    only_changed: bool = Field(default=False, description="Only records changed since the last run")
    recipients: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Addresses that get a share link of each run (SHARE_MAX_RECIPIENTS)",
    )


class ScheduleOut(BaseModel):
    id: str
    name: str
    project: str
    filter: dict[str, str]
    rrule: str
    timezone: str
    only_changed: bool
    recipients: list[str]
    paused: bool
    next_run_at: Timestamp | None
    last_run_at: Timestamp | None
    last_export: str | None = Field(description="The id of the latest run's export")


class ScheduleList(BaseModel):
    items: list[ScheduleOut]
