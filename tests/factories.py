"""Test data builders, in one place."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.models import ChecklistItem, Organization, Project, Record, User

PASSWORD = "correct horse battery"
_HASH = None
_counter = itertools.count(1)


def password_hash() -> str:
    """argon2 is slow on purpose; tests hash the shared password once."""
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
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
    from portal.models import RECORD_KINDS

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
    page = client.get(url)
    token = _csrf_token(page.get_data(as_text=True))
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def _csrf_token(html: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def bulk_records(project: Project, count: int, **kw) -> None:
    """Thousands of records in one executemany, without checklists: for tests of scale."""
    from sqlalchemy import insert

    from portal.models import RECORD_KINDS

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


def export(user: User, project: Project, **values):
    """An Export row in any state, straight into the database (no job is enqueued)."""
    from portal.models import Export

    values = {"fingerprint": "f", "queue_name": "exports-small", "total": 500, **values}
    row = Export(
        organization_id=user.organization_id,
        project_id=project.id,
        requested_by_id=user.id,
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row
