"""Test data builders, in one place."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from argon2 import PasswordHasher, profiles
from PIL import Image

from jobs.snapshot import ChecklistLine, PhotoRef, ProjectSnapshot, RecordSnapshot
from portal.branding.brand import Branding
from portal.exports import events, service
from portal.exports.options import ExportOptions, LinkIn, fingerprint_of
from portal.extensions import db
from portal.models import (
    ChecklistItem,
    Export,
    ExportItem,
    ExportPart,
    ExportShare,
    ExportStatus,
    Organization,
    Project,
    Record,
    User,
    WebhookEndpoint,
    utcnow,
)
from portal.renders.entries import Look
from portal.shares import tokens
from portal.storage import keys
from portal.webhooks import signing
from portal.webhooks.catalogue import EventType
from tests.helpers import csrf, request_export

PASSWORD = "correct horse battery"
_HASH = None
_counter = itertools.count(1)


def password_hash() -> str:
    """The shared password hashed with argon2id's cheapest parameters. A hash carries its own
    parameters, so the app's check of it costs microseconds instead of argon2's deliberate
    0.2 s of CPU (and seconds of wall time on a loaded machine) at every test's login."""
    global _HASH
    if _HASH is None:
        _HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)
    return _HASH


def organization(name: str = "Acme Build") -> Organization:
    org = Organization(name=name)
    db.session.add(org)
    db.session.flush()
    return org


def user(org: Organization, email: str | None = None, role: str = "member", **kw) -> User:
    email = email or f"user{next(_counter)}@example.test"
    u = User(
        organization_id=org.id,
        email=email,
        name=email.split("@")[0].title(),
        password_hash=password_hash(),
        role=role,
        **kw,
    )
    db.session.add(u)
    db.session.flush()
    return u


def project(org: Organization, name: str = "Harbour View Tower", code: str = "HVT") -> Project:
    p = Project(organization_id=org.id, name=name, code=code, address="1 Quay St")
    db.session.add(p)
    db.session.flush()
    return p


def record(project: Project, kind: str = "inspection", n: int | None = None, **kw) -> Record:
    from portal.vocabulary import RECORD_KINDS

    n = n or next(_counter)
    values = {
        "title": f"Record {n}",
        "status": "open",
        "location": "Level 2",
        "trade": "Concrete",
        "assignee": "Sam Site",
        "description": "Checked on site.",
        "created_at": datetime(2026, 1, 1) + timedelta(hours=n),
        "due_date": date(2026, 3, 1),
    }
    values.update(kw)
    r = Record(
        organization_id=project.organization_id,
        project_id=project.id,
        kind=kind,
        reference=f"{RECORD_KINDS[kind]}-{n:04d}",
        **values,
    )
    r.checklist = [ChecklistItem(position=1, label="Formwork clean", result="pass", comment="")]
    db.session.add(r)
    return r


def records(project: Project, count: int, **kw) -> list[Record]:
    kinds = ["inspection", "issue", "task", "ncr"]
    made = [record(project, kind=kinds[i % 4], n=i + 1, **kw) for i in range(count)]
    db.session.flush()
    return made


@dataclass
class World:
    org_a: Organization
    org_b: Organization
    admin_a: User
    member_a: User
    member_b: User
    project_a: Project
    project_b: Project


def two_organisations() -> World:
    org_a, org_b = organization("Acme Build"), organization("Bravo Civil")
    world = World(
        org_a=org_a,
        org_b=org_b,
        admin_a=user(org_a, "admin@acme.test", role="admin"),
        member_a=user(org_a, "member@acme.test"),
        member_b=user(org_b, "member@bravo.test"),
        project_a=project(org_a),
        project_b=project(org_b, "Bravo Depot", "BD"),
    )
    db.session.commit()
    return world


def login(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    """Log in through the real form, CSRF token included (and `next`, as the login link has it)."""
    url = f"/login?{urlencode({'next': next_path})}" if next_path else "/login"
    token = csrf(client, url)
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def api_key(user: User, scope: str = "export", **columns) -> str:
    """A key for `user`, committed; answers its secret (`columns` set expiry, revocation)."""
    from portal.api import keys
    from portal.models import KeyScope

    issued = keys.issue(user, "test key", KeyScope(scope), columns.pop("expires_at", None))
    for name, value in columns.items():
        setattr(issued.key, name, value)
    db.session.commit()
    return issued.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def member_exports(client, world, records) -> Export:
    """Org A's member logs in and exports `records` through the form; the new (pending) row."""
    login(client, "member@acme.test")
    request_export(client, world.project_a, records)
    return Export.query.one()


def bulk_records(project: Project, count: int, **kw) -> None:
    """Thousands of records in one executemany, without checklists: for tests of scale."""
    from sqlalchemy import insert

    from portal.vocabulary import RECORD_KINDS

    kinds = list(RECORD_KINDS)
    rows = [
        {
            "organization_id": project.organization_id,
            "project_id": project.id,
            "kind": kinds[i % 4],
            "reference": f"{RECORD_KINDS[kinds[i % 4]]}-{i + 1:05d}",
            "title": f"Bulk record {i + 1}",
            "created_at": datetime(2026, 1, 1) + timedelta(minutes=i),
            **kw,
        }
        for i in range(count)
    ]
    db.session.execute(insert(Record), rows)
    db.session.commit()


def attachment(record: Record, **kw):
    """A photo row on a record; the bytes, if a test needs them, are put in S3 by the test."""
    from portal.models import Attachment

    values = {
        "storage_key": f"attachments/{record.id}/photo.jpg",
        "filename": "photo.jpg",
        "content_type": "image/jpeg",
        "byte_size": 1,
        "sha256": "0" * 64,
    }
    values.update(kw)
    photo = Attachment(organization_id=record.organization_id, record_id=record.id, **values)
    db.session.add(photo)
    db.session.flush()
    return photo


def state_columns(state: ExportStatus) -> dict:
    """What a row holds once it reached `state` the normal way (fresh timestamps each call):
    a ready export has its size and expiry (and its zips: `export_in` adds them); revoked
    and expired ones were ready first."""
    now = utcnow()
    ready = {
        "byte_size": 5_000_000,
        "finished_at": now,
        "expires_at": now + timedelta(days=7),
    }
    return {
        ExportStatus.PENDING: {},
        ExportStatus.PROCESSING: {"attempt": 1, "started_at": now, "heartbeat_at": now},
        ExportStatus.COMPLETED: ready,
        ExportStatus.FAILED: {
            "error": "Sitepack's file storage could not be reached.",
            "finished_at": now,
        },
        ExportStatus.CANCELLED: {"cancel_requested_at": now, "finished_at": now},
        ExportStatus.REVOKED: ready,
        ExportStatus.EXPIRED: {
            **ready,
            "finished_at": now - timedelta(days=8),
            "expires_at": now - timedelta(days=1),
        },
    }[state]


HAD_ZIPS = {ExportStatus.COMPLETED, ExportStatus.REVOKED, ExportStatus.EXPIRED}


def export_parts(export: Export, keys: int | list[str], byte_size: int | None) -> list[ExportPart]:
    """The export's zips: `keys` names them, or says how many (named like the worker names
    them); `byte_size`, the total, is shared out between them."""
    if isinstance(keys, int):
        folder = f"exports/{export.organization_id}/{export.public_id}/attempt-1"
        name = f"Sitepack-HVT-2026-03-02-{export.total}-records"
        keys = (
            [f"{folder}/{name}.zip"]
            if keys == 1
            else [f"{folder}/{name}-part-{n}-of-{keys}.zip" for n in range(1, keys + 1)]
        )
    size = byte_size if byte_size is not None else 5_000_000 * len(keys)
    share, records = size // len(keys), export.total // len(keys)
    return [
        ExportPart(
            number=n,
            object_key=key,
            byte_size=share + (size % len(keys) if n == len(keys) else 0),
            sha256=f"{n:064x}",
            records=records + (export.total % len(keys) if n == len(keys) else 0),
        )
        for n, key in enumerate(keys, start=1)
    ]


def export_in(
    state: ExportStatus,
    requester: User,
    project: Project | None,
    records: int | list[Record] = 0,
    parts: int | list[str] | None = None,
    **columns,
) -> Export:
    """An Export row in `state`, straight into the database with its "requested" event (no
    job is enqueued).

    Its items are `records`, or that many fresh records of `project` (without any, it claims
    500); with `project` None it is an export across projects (give `records`). An export
    that was ready (completed, revoked, expired) has one zip unless `parts` names its keys or
    says how many; `parts` gives any other state zips too. `columns` override what
    `state_columns` fills in; `byte_size` is the zips' total."""
    made = records if isinstance(records, list) else [record(project) for _ in range(records)]
    db.session.flush()
    ids = [r.id for r in made]
    options = ExportOptions()
    values = {
        "options": options.as_dict(),
        "fingerprint": fingerprint_of(requester.id, ids, options),
        "queue_name": "exports-small",
        "total": len(ids) or 500,
        "status": state,
        **state_columns(state),
        **columns,
    }
    row = Export(
        organization_id=requester.organization_id,
        project_id=project.id if project else None,
        requested_by_id=requester.id,
        **values,
    )
    row.items = [ExportItem(record_id=i) for i in ids]
    db.session.add(row)
    db.session.flush()
    if parts is None and state in HAD_ZIPS:
        parts = 1
    if parts:
        row.parts = export_parts(row, parts, columns.get("byte_size"))
        row.byte_size = sum(part.byte_size for part in row.parts)
    events.add(row.id, "requested", f"{row.total:,} records", actor_id=requester.id)
    db.session.commit()
    return row


def bundle_in(
    state: ExportStatus,
    requester: User,
    links: int = 3,
    project: Project | None = None,
    failed: int = 0,
    **columns,
) -> Export:
    """A link bundle's row named "Handover pack" in `state` (see `export_in`), with `links`
    links and, once ready, one zip under its bundles/ key; no job is enqueued. The first
    `failed` links gave no file ("HTTP 404")."""
    asked = [LinkIn(f"https://docs.example/{n}.pdf") for n in range(links)]
    options = ExportOptions.bundle("Handover pack", None, keys.PORTAL_NAMESPACE)
    fingerprint = fingerprint_of(requester.id, [], options, asked)
    row = service.create_export(requester, project, [], options, fingerprint, links=asked)
    failures = {"warnings": failed, "files_failed": failed}
    for column, value in {"status": state, **state_columns(state), **failures, **columns}.items():
        setattr(row, column, value)
    for link in row.links[:failed]:
        link.error = "HTTP 404"
    if state in HAD_ZIPS:
        name = f"Sitepack-bundle-handover-pack-2026-03-02-{links}-files.zip"
        key = keys.bundle_zip(24, row.organization_id, "portal", row.public_id, 1, name)
        row.parts = export_parts(row, [key], columns.get("byte_size"))
        row.byte_size = row.parts[0].byte_size
    db.session.commit()
    return row


def jpeg(width: int = 160, height: int = 120) -> bytes:
    """A small baseline JPEG without EXIF, the same bytes every time: like a rendition."""
    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


PHOTO_KEY = "attachments/1/rec/att/rendition.jpg"


def record_snapshot(reference: str = "INS-0001", **overrides) -> RecordSnapshot:
    """A record as a render process receives it; its one photo is read from PHOTO_KEY."""
    values = {
        "organization_id": 1,
        "record_id": 7,
        "version": 4,
        "look": Look("A4"),
        "verify_url": "https://sitepack.test/v/abcdefghijklmnop",
        "organization": "Acme Build",
        "branding": Branding(1),
        "project": ProjectSnapshot("Harbour View Tower", "HVT", "1 Quay St"),
        "reference": reference,
        "kind": "inspection",
        "title": f"Slab pour check {reference}",
        "status": "open",
        "location": "Level 3",
        "trade": "Concrete",
        "assignee": "Sam Site",
        "due_date": date(2026, 3, 1),
        "created_at": datetime(2026, 1, 2, 8, 30),
        "updated_at": datetime(2026, 1, 3, 9, 15),
        "description": "Rebar spacing checked.\nTwo chairs missing.",
        "checklist": (
            ChecklistLine("Cover to reinforcement", "pass", ""),
            ChecklistLine("Formwork clean", "fail", "Debris at C5"),
            ChecklistLine("Cast-in items", "n/a", ""),
        ),
        "photos": (PhotoRef(PHOTO_KEY, "a" * 64, "North bay", "north.jpg"),),
    }
    return RecordSnapshot(**(values | overrides))


def webhook_endpoint(
    admin: User, url: str = "https://hooks.example/sitepack", events: list[str] | None = None
) -> WebhookEndpoint:
    """An endpoint of the admin's organisation, subscribed to every event unless told."""
    endpoint = WebhookEndpoint(
        organization_id=admin.organization_id,
        url=url,
        events=events or [str(event) for event in EventType],
        secret=signing.new_secret(),
        created_by_id=admin.id,
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def share_of(export: Export, email: str, **columns) -> tuple[ExportShare, str]:
    """A share of `export` by its requester, as the share form makes it, and its link's token."""
    token = tokens.new_token()
    row = ExportShare(
        organization_id=export.organization_id,
        export_id=export.id,
        shared_by_id=export.requested_by_id,
        email=email,
        token_digest=tokens.digest(token),
        expires_at=export.expires_at,
        **columns,
    )
    db.session.add(row)
    db.session.commit()
    return row, token


# What a record's PDF measures in the render cache of `cached_and_photographed`: this
# without photos, and this more per photo.
NO_PHOTO_PDF, PER_PHOTO_PDF = 50_000, 150_000


def photo_rows(record: Record, *sizes: int) -> None:
    """Attachment rows of these sizes (no stored object: for figures read from the rows)."""
    from portal.models import Attachment

    for n, size in enumerate(sizes):
        db.session.add(Attachment(
            organization_id=record.organization_id, record_id=record.id, storage_key=f"k{n}",
            filename=f"p{n}.jpg", content_type="image/jpeg", byte_size=size, sha256="a" * 64,
        ))  # fmt: skip


def rendered_pdf(record: Record, size: int, age: timedelta = timedelta(0)) -> None:
    """A render cache index row for the record, `age` after its last change."""
    from portal.models import RenderedPdf

    db.session.add(RenderedPdf(
        organization_id=record.organization_id, record_id=record.id,
        fingerprint=f"{record.id:064d}", sha256="b" * 64, byte_size=size,
        created_at=record.updated_at + age,
    ))  # fmt: skip


def cached_and_photographed(project: Project) -> list[Record]:
    """Four records: a cached PDF of each of the first two (the second's older than its last
    change), 2, 1 and 0 photos on the last three; the cached PDFs draw the size line
    NO_PHOTO_PDF + n × PER_PHOTO_PDF."""
    made = records(project, 4)
    photo_rows(made[1], 2_000_000, 3_000_000)
    photo_rows(made[2], 1_000_000)
    rendered_pdf(made[0], NO_PHOTO_PDF, timedelta(minutes=1))
    rendered_pdf(made[1], NO_PHOTO_PDF + 2 * PER_PHOTO_PDF, -timedelta(minutes=1))
    db.session.commit()
    return made


def ids_of(made: list[Record]):
    """A SELECT of these records' ids."""
    from sqlalchemy import select

    return select(Record.id).where(Record.id.in_([r.id for r in made]))
