"""Seeding for the engine benchmark: one organisation, records in bulk, shared renditions.

Renditions are uploaded once and shared by every record that shows them, but each render
process still reads a record's photos from S3 itself, as in a real export.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.render_bench import photo
from portal import config as settings
from portal import create_app
from portal.extensions import db
from portal.models import Attachment, ChecklistItem, Project, Record
from portal.storage import client as s3


def environment(tmp: Path, endpoint, redis_url: str) -> dict[str, str]:
    """The settings the bench's own app and every worker it starts share."""
    return {
        "SITEPACK_ENV": "test",
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{tmp}/b.db",
        "REDIS_URL": redis_url,
        "S3_BUCKET": "sitepack-bench",
        "S3_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "AWS_REGION": "us-east-1",
        "EXPORT_MAX_RECORDS": "100000",
        "EXPORT_RETRY_INTERVALS": "",  # a failure must stop the bench, not wait for a retry
    }


def app_for(env: dict):
    return create_app({**settings.from_environment(env), "TESTING": True})


def records(project: Project, count: int, first: int = 1) -> list[int]:
    """`count` inspection records with six checklist lines each, numbered from `first`
    (unique across projects); returns the project's record ids in order."""
    start = datetime(2026, 1, 5, 7, 30)
    rows = [
        {
            "organization_id": project.organization_id,
            "project_id": project.id,
            "kind": "inspection",
            "reference": f"INS-{n:05d}",
            "public_id": f"bench{n:011d}",
            "title": f"Pre-pour inspection, level {n % 12 + 1} slab, bay C{n % 9}",
            "status": "open",
            "location": f"Level {n % 12 + 1}",
            "trade": "Concrete",
            "assignee": "Priya Natarajan",
            "description": "Checked against S-201 rev C.\n" * 4,
            "created_at": start + timedelta(minutes=n),
            "updated_at": start,
            "version": 1,
        }
        for n in range(first, first + count)
    ]
    if not rows:
        return []
    db.session.execute(insert(Record), rows)
    ids = list(
        db.session.scalars(
            select(Record.id).where(Record.project_id == project.id).order_by(Record.id)
        )
    )
    lines = [
        {"record_id": rid, "position": i, "label": f"Check {i}", "result": "pass", "comment": ""}
        for rid in ids
        for i in range(6)
    ]
    db.session.execute(insert(ChecklistItem), lines)
    return ids


def attach_photos(project: Project, record_ids: list[int], count: int = 3, width: int = 1600):
    """`count` renditions of `width` px uploaded once and attached to every record given.
    Returns {rendition key: bytes}, for renders that take their photos from memory."""
    shared = {f"attachments/bench/{project.code}-{width}-{i}.jpg": photo(i, width)
              for i in range(count)}  # fmt: skip
    for key, data in shared.items():
        s3.put_bytes(key, data, "image/jpeg")
    db.session.execute(
        insert(Attachment),
        [
            {
                "organization_id": project.organization_id,
                "record_id": rid,
                "storage_key": key,
                "rendition_key": key,
                "filename": f"photo-{n}.jpg",
                "content_type": "image/jpeg",
                "byte_size": len(shared[key]),
                "sha256": "0" * 64,
                "public_id": f"att{project.id:02d}{rid:07d}{n}",
            }
            for rid in record_ids
            for n, key in enumerate(shared)
        ],
    )
    return shared
