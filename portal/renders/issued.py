"""The record PDFs Sitepack made, by sha256, and what the Verify page may say about a digest.

A render remembers each PDF it made (jobs/fill.py); identical bytes rendered again (a second
worker, a cache object that aged out) are the same PDF, so the first row stands. The answer
names only what the file itself shows (reference, version, organisation, its dates) plus the
record's current version, and only for an exact digest: a near miss says nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from portal import formatting
from portal.extensions import db
from portal.models import Export, ExportPart, IssuedPdf, Organization, Record, utcnow
from portal.renders import codes


@dataclass(frozen=True)
class Made:
    sha256: str
    organization_id: int
    record_id: int
    reference: str
    version: int


def remember(made: Sequence[Made]) -> None:
    if not made:
        return
    rows = [
        {
            "sha256": m.sha256, "organization_id": m.organization_id, "record_id": m.record_id,
            "reference": m.reference, "version": m.version, "rendered_at": utcnow(),
            "code": codes.code_for(m.organization_id, m.record_id, m.version),
        }
        for m in made
    ]  # fmt: skip
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(IssuedPdf).on_conflict_do_nothing(), rows)
    db.session.commit()


@dataclass(frozen=True)
class Answer:
    """What the Verify page says: a record PDF (reference, version, current version) or an
    export's zip (part, made at), both with the organisation; or not authentic."""

    authentic: bool
    kind: str = ""  # "record" or "zip"
    organization: str = ""
    reference: str = ""
    version: int | None = None
    current_version: int | None = None  # None: the record was deleted since
    made_at: datetime | None = None
    part: int | None = None

    def as_dict(self) -> dict:
        return {
            "authentic": self.authentic, "kind": self.kind or None,
            "organization": self.organization or None, "reference": self.reference or None,
            "version": self.version, "current_version": self.current_version,
            "made_at": self.made_at and formatting.when(self.made_at), "part": self.part,
        }  # fmt: skip


def answer(sha256: str) -> Answer:
    return _record_pdf(sha256) or _zip(sha256) or Answer(authentic=False)


def _record_pdf(sha256: str) -> Answer | None:
    issued = db.session.get(IssuedPdf, sha256)
    return issued and _about(issued)


def by_code(code: str) -> Answer | None:
    """The version a `/v/<code>` link names, as its PDF would be answered for."""
    issued = db.session.scalars(select(IssuedPdf).where(IssuedPdf.code == code).limit(1)).first()
    return issued and _about(issued)


def _about(issued: IssuedPdf) -> Answer:
    organization = db.session.get(Organization, issued.organization_id)
    current = db.session.scalar(
        select(Record.version).where(
            Record.id == issued.record_id, Record.organization_id == issued.organization_id
        )
    )
    return Answer(
        True, "record", organization.name, issued.reference, issued.version, current,
        issued.rendered_at,
    )  # fmt: skip


def _zip(sha256: str) -> Answer | None:
    found = db.session.execute(
        select(ExportPart.number, Export.finished_at, Organization.name)
        .join(Export, Export.id == ExportPart.export_id)
        .join(Organization, Organization.id == Export.organization_id)
        .where(ExportPart.sha256 == sha256)
        .limit(1)
    ).first()
    if found is None:
        return None
    number, finished_at, organization = found
    return Answer(True, "zip", organization, made_at=finished_at, part=number)
