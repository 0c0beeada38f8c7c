"""`flask seed`: demo organisations, users, projects, and records with checklists and photos.

`make run` seeds an empty database so a person can log in and try everything at once. The
same `--seed` gives the same data (only the random public ids differ), so screenshots, bug
reports and tests can name the same records.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, inspect, select

from portal import demo_data, photos, urls
from portal.auth.passwords import hash_password
from portal.demo_photos import SCENE_SIZES, PhotoStudio
from portal.extensions import db
from portal.models import (
    Attachment,
    ChecklistItem,
    ExportPart,
    Organization,
    Project,
    Record,
    RenderedPdf,
    User,
    new_public_id,
)
from portal.renders.cli import prerender_quietly
from portal.storage import client as s3
from portal.storage import keys as storage_keys

# RecordPlan attributes copied verbatim onto the Record row.
RECORD_FIELDS = (
    "kind", "reference", "title", "status", "location", "trade", "assignee",
    "due_date", "description", "created_at", "updated_at",
)  # fmt: skip
PHOTO_THREADS = 4  # painting, resizing and uploading release the GIL: 2 cores stay busy


@click.command("seed")
@click.option("--records", "count", default=300, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--photos/--no-photos", "with_photos", default=True, show_default=True)
@click.option("--reset", is_flag=True, help="Delete ALL existing data and its stored files first.")
@with_appcontext
def seed_command(count: int, seed: int, with_photos: bool, reset: bool):
    """Create demo organisations, users, projects and records."""
    started = time.monotonic()
    if not inspect(db.engine).has_table(Organization.__tablename__):
        raise click.ClickException("the database has no tables yet: run `flask db upgrade` first")
    old_keys = _clear_everything() if reset else _refuse_if_not_empty()
    rng = random.Random(seed)
    stored: list[Attachment] = []
    try:
        projects = _add_people_and_projects()
        plans = demo_data.plan_records(rng, count, len(SCENE_SIZES))
        rows = _add_records(plans, projects)
        if with_photos:
            stored = _add_photos(PhotoStudio(rng), plans, rows, projects)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        s3.delete_many(_keys(stored))
        raise
    s3.delete_many(old_keys)
    _report(len(rows), len(stored), time.monotonic() - started)
    prerender_quietly([row.id for row in rows])


def _refuse_if_not_empty() -> list[str]:
    if db.session.scalar(select(func.count()).select_from(Organization)):
        raise click.ClickException(
            "the database already has organisations; seeding would mix demo data into them. "
            "Run `flask seed --reset` to delete ALL data and seed afresh."
        )
    return []


def _clear_everything() -> list[str]:
    """Delete every row (in the seed's transaction); return the object keys to delete later.

    The objects go only after the new data is committed, so a failed seed leaves the old
    data whole.
    """
    stored = db.session.execute(select(Attachment.storage_key, Attachment.rendition_key))
    keys = [key for pair in stored for key in pair if key]
    keys += list(db.session.scalars(select(ExportPart.object_key)))
    cached = db.session.execute(select(RenderedPdf.organization_id, RenderedPdf.fingerprint))
    keys += [storage_keys.rendered_pdf(org, fingerprint) for org, fingerprint in cached]
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    return keys


def _add_people_and_projects() -> list[Project]:
    orgs = {key: Organization(name=name) for key, name in demo_data.ORGANISATIONS.items()}
    db.session.add_all(orgs.values())
    db.session.flush()
    # One argon2 hash for the shared, published demo password: hashing is slow on purpose.
    password_hash = hash_password(demo_data.DEMO_PASSWORD)
    for person in demo_data.PEOPLE:
        db.session.add(
            User(
                organization_id=orgs[person.org].id,
                email=person.email,
                name=person.name,
                password_hash=password_hash,
                role=person.role,
                is_staff=person.is_staff,
            )
        )
    projects = [
        Project(organization_id=orgs[p.org].id, name=p.name, code=p.code, address=p.address)
        for p in demo_data.PROJECTS
    ]
    db.session.add_all(projects)
    db.session.flush()
    return projects


def _add_records(plans: list[demo_data.RecordPlan], projects: list[Project]) -> list[Record]:
    rows = []
    for plan in plans:
        project = projects[plan.project]
        record = Record(
            public_id=new_public_id(),  # photo storage keys need it before the INSERT
            organization_id=project.organization_id,
            project_id=project.id,
            **{name: getattr(plan, name) for name in RECORD_FIELDS},
            **plan.report,
        )
        record.checklist = [
            ChecklistItem(position=n, label=label, result=result, comment=comment)
            for n, (label, result, comment) in enumerate(plan.checklist, start=1)
        ]
        rows.append(record)
    db.session.add_all(rows)
    return rows


def _add_photos(studio: PhotoStudio, plans, rows: list[Record], projects) -> list[Attachment]:
    """Paint and store every photo on worker threads; attach the rows here, in plan order."""
    s3.ensure_bucket()  # also makes the S3 client before threads share it
    owners, jobs = [], []
    for plan, row in zip(plans, rows, strict=True):
        label = f"{projects[plan.project].code} {plan.reference}"
        for photo in plan.photos:
            owners.append(row)
            jobs.append((row.organization_id, row.public_id, photo, f"{label} · {photo.caption}"))
    app = current_app._get_current_object()

    def store(job) -> Attachment:
        organization_id, record_public_id, photo, label = job
        with app.app_context():
            data = studio.photo(photo.scene, photo.variant, label, photo.taken_at)
            return photos.store_photo(
                organization_id, record_public_id, photo.filename, data, photo.caption,
                photo.taken_by,
            )  # fmt: skip

    stored = _run_all(store, jobs)
    for row, attachment in zip(owners, stored, strict=True):
        row.attachments.append(attachment)
    return stored


def _run_all(work, jobs: list) -> list:
    """Results in job order; if any job failed, delete what the others stored and re-raise."""
    with ThreadPoolExecutor(PHOTO_THREADS) as pool:
        futures = [pool.submit(work, job) for job in jobs]
    failures = [f.exception() for f in futures if f.exception()]
    if failures:
        s3.delete_many(_keys(f.result() for f in futures if not f.exception()))
        raise failures[0]
    return [f.result() for f in futures]


def _keys(attachments) -> list[str]:
    return [key for a in attachments for key in (a.storage_key, a.rendition_key) if key]


def _report(records: int, stored_photos: int, seconds: float) -> None:
    click.echo(
        f"Seeded {len(demo_data.ORGANISATIONS)} organisations, {len(demo_data.PEOPLE)} users, "
        f"{len(demo_data.PROJECTS)} projects, {records} records and {stored_photos} photos "
        f"in {seconds:.1f} s."
    )
    click.echo(f"Log in at {urls.absolute('auth.login')} with password {demo_data.DEMO_PASSWORD}:")
    for person in demo_data.PEOPLE:
        role = person.role + (", Sitepack staff" if person.is_staff else "")
        org = demo_data.ORGANISATIONS[person.org]
        click.echo(f"  {person.email:<24} {org:<24} {role}")
