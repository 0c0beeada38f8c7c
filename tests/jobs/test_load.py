"""A record becomes a frozen snapshot: what its PDF shows, photos by key, nothing of the moment."""

from __future__ import annotations

import dataclasses
import io
import pickle
import subprocess
import sys

import pypdf
from sqlalchemy import select

from jobs import load
from jobs.render import render_pdf
from jobs.snapshot import ChecklistLine, OriginalRef, ProjectSnapshot
from portal.extensions import db
from portal.models import Attachment
from portal.photos import ingest_photo
from portal.renders import codes
from portal.renders.entries import Look
from portal.storage import client as s3
from portal.storage import keys
from tests import factories
from tests.helpers import ROOT


def stored_record(world, caption: str = "Wall W2, east face"):
    record = factories.record(world.project_a, kind="ncr", title="Honeycombing on wall W2")
    photo = ingest_photo(record, "w2.jpg", factories.jpeg(800, 600), caption=caption)
    db.session.commit()
    return record, photo


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_snapshot_holds_what_the_pdf_shows_with_photos_by_key(app, world, bucket):
    record, photo = stored_record(world)

    snap = load.snapshot(record, Look("Letter"))

    assert (snap.organization_id, snap.record_id, snap.version) == (world.org_a.id, record.id, 1)
    assert snap.organization == "Acme Build"
    assert snap.project == ProjectSnapshot("Harbour View Tower", "HVT", "1 Quay St")
    assert snap.checklist == (ChecklistLine("Formwork clean", "pass", ""),)
    [ref] = snap.photos
    assert (ref.rendition_key, ref.sha256) == (photo.rendition_key, photo.sha256)
    assert (ref.caption, ref.filename) == ("Wall W2, east face", "w2.jpg")
    assert snap.originals == (OriginalRef(photo.storage_key, "w2.jpg"),)
    assert snap.load_error is None
    assert snap.render_inputs() == (
        world.org_a.id, record.id, 1, ((photo.sha256, "Wall W2, east face", "w2.jpg", "", ""),),
        ("Harbour View Tower", "HVT", "1 Quay St"), "Acme Build", ("Letter", True),
        ("", "#1f3a5f", ""), codes.verify_url(world.org_a.id, record.id, 1),
    )  # fmt: skip
    assert not any("export" in field.name for field in dataclasses.fields(snap))
    text = pdf_text(render_pdf(snap, s3.Bucket(s3.settings(app.config))))
    assert record.reference in text and "Wall W2, east face" in text


def test_same_record_version_gives_an_equal_snapshot(app, world, bucket):
    record, _ = stored_record(world)

    assert load.snapshot(record, Look("A4")) == load.snapshot(record, Look("A4"))
    assert load.snapshot(record, Look("A4")) != load.snapshot(record, Look("Letter"))


def test_old_photo_without_rendition_gets_one_made_and_kept_before_rendering(app, world, bucket):
    record, photo = stored_record(world)
    made_at_ingest = s3.get_bytes(photo.rendition_key)
    s3.delete(photo.rendition_key)
    photo.rendition_key = None
    db.session.commit()

    snap = load.snapshot(record, Look("A4"))

    folder = keys.attachment_folder(world.org_a.id, record.public_id, photo.public_id)
    assert snap.photos[0].rendition_key == keys.rendition(folder)
    db.session.expire_all()
    kept = db.session.scalar(select(Attachment.rendition_key).where(Attachment.id == photo.id))
    assert kept == keys.rendition(folder)
    assert s3.get_bytes(kept) == made_at_ingest
    pdf = render_pdf(snap, s3.Bucket(s3.settings(app.config)))
    assert made_at_ingest in pdf
    assert s3.get_bytes(photo.storage_key) not in pdf


def test_old_photo_whose_original_is_gone_makes_the_record_a_load_error(app, world, bucket):
    record, photo = stored_record(world)
    s3.delete(photo.storage_key)
    photo.rendition_key = None
    db.session.commit()

    snap = load.snapshot(record, Look("A4"))

    assert snap.load_error == "photo 'w2.jpg' is missing from storage"
    assert snap.photos == ()


def test_a_render_process_never_imports_the_models(app, world, bucket):
    """Unpickling a snapshot and rendering needs jobs.snapshot and jobs.render only."""
    record, _ = stored_record(world)
    pickled = pickle.dumps(load.snapshot(record, Look("A4")))
    script = (
        "import pickle, sys\n"
        "import jobs.render\n"
        "snap = pickle.loads(sys.stdin.buffer.read())\n"
        "print(snap.reference, 'portal.models' in sys.modules)\n"
    )

    out = subprocess.run(
        [sys.executable, "-c", script], input=pickled, capture_output=True, cwd=ROOT, check=True
    )

    assert out.stdout.decode().split() == [record.reference, "False"]


def test_snapshots_take_only_the_organisations_own_records(app, world, bucket):
    ours, _ = stored_record(world)
    theirs = factories.record(world.project_b)
    db.session.commit()

    snaps = list(load.snapshots([theirs.id, ours.id], world.org_a.id, Look("A4")))

    assert [snap.record_id for snap in snaps] == [ours.id]
