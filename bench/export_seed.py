"""Seeding for the export benchmark: one org, one project, N records, shared photo renditions."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.render_bench import photo
from portal import config as settings
from portal import create_app
from portal.exports.service import ExportOptions, create_export, fingerprint_of
from portal.extensions import db
from portal.models import Attachment, ChecklistItem, Record
from portal.storage import client as s3
from tests import factories


def environment(tmp: Path, endpoint, redis_url: str, processes: int) -> dict[str, str]:
    return {
        "SITEPACK_ENV": "test",
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{tmp}/b.db",
        "REDIS_URL": redis_url,
        "S3_BUCKET": "sitepack-bench",
        "S3_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "EXPORT_WORK_DIR": str(tmp),
        "EXPORT_RENDER_PROCESSES": str(processes),
        "EXPORT_MAX_RECORDS": "100000",
    }


def app_for(env: dict):
    return create_app({**settings.from_environment(env), "TESTING": True})


def seed(env: dict, sizes: list[int], photo_every: int) -> dict[int, int]:
    """Returns {size: export id}; every export takes the first `size` records."""
    with app_for(env).app_context():
        db.create_all()
        s3.ensure_bucket()
        world = factories.two_organisations()
        ids = records(world.project_a, max(sizes))
        attach_photos(world.project_a, ids[::photo_every])
        exports = {}
        for size in sizes:
            options = ExportOptions()
            fingerprint = fingerprint_of(world.member_a.id, ids[:size], options)
            exports[size] = create_export(
                world.member_a, world.project_a, ids[:size], options, fingerprint
            ).id
        db.session.commit()
        return exports


def records(project, count: int) -> list[int]:
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
        for n in range(1, count + 1)
    ]
    db.session.execute(insert(Record), rows)
    ids = list(db.session.scalars(select(Record.id).order_by(Record.id)))
    db.session.execute(
        insert(ChecklistItem),
        [
            {
                "record_id": rid,
                "position": i,
                "label": f"Check {i}",
                "result": "pass",
                "comment": "",
            }
            for rid in ids
            for i in range(6)
        ],
    )
    return ids


def attach_photos(project, record_ids: list[int]) -> None:
    """Three renditions uploaded once and shared: every record still fetches its own from S3."""
    keys = []
    for i in range(3):
        key = f"attachments/bench/rendition-{i}.jpg"
        s3.put_bytes(key, photo(i, 1600), "image/jpeg")
        keys.append(key)
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
                "byte_size": 1,
                "sha256": "0" * 64,
                "public_id": f"att{rid:06d}{n}",
            }
            for rid in record_ids
            for n, key in enumerate(keys)
        ],
    )
