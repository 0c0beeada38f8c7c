"""The render cache's index: scoped to one organisation, trusted only when the bytes match."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from portal.extensions import db
from portal.models import RenderedPdf, utcnow
from portal.renders import cache, entries
from portal.renders.entries import CachedPdf, Look
from portal.storage import client as s3
from tests import factories

PDF = b"%PDF-1.7 a record's bytes"


def stored(record, fingerprint: str = "f" * 64, data: bytes = PDF) -> CachedPdf:
    db.session.flush()
    entry = CachedPdf(
        record.organization_id, record.id, fingerprint, hashlib.sha256(data).hexdigest(), len(data)
    )
    s3.put_bytes(entry.key, data, "application/pdf")
    cache.remember([entry])
    return entry


def test_the_fingerprint_changes_with_every_input_and_nothing_else():
    photo = ("a" * 64, "East face", "e.jpg")
    A4, URL = Look("A4"), "https://sitepack.test/v/aaaaaaaaaaaaaaaa"  # noqa: N806
    project = ("Harbour View Tower", "HVT", "1 Quay St")
    brand = ("", "#1f3a5f", "")
    base = (1, 2, 3, [photo], project, "Acme", A4, brand, URL)
    variants = [
        (9, 2, 3, [photo], project, "Acme", A4, brand, URL),
        (1, 9, 3, [photo], project, "Acme", A4, brand, URL),
        (1, 2, 4, [photo], project, "Acme", A4, brand, URL),
        (1, 2, 3, [("b" * 64, "East face", "e.jpg")], project, "Acme", A4, brand, URL),
        (1, 2, 3, [("a" * 64, "West face", "e.jpg")], project, "Acme", A4, brand, URL),
        (1, 2, 3, [("a" * 64, "East face", "w.jpg")], project, "Acme", A4, brand, URL),
        (1, 2, 3, [], project, "Acme", A4, brand, URL),
        (1, 2, 3, [photo], ("Harbour View", "HVT", "1 Quay St"), "Acme", A4, brand, URL),
        (1, 2, 3, [photo], project, "Acme Ltd", A4, brand, URL),
        (1, 2, 3, [photo], project, "Acme", Look("Letter"), brand, URL),
        (1, 2, 3, [photo], project, "Acme", Look("A4", archival=False), brand, URL),
        (1, 2, 3, [photo], project, "Acme", A4, brand, "https://sitepack.test/v/bbbbbbbbbbbbbbbb"),
        (1, 2, 3, [(*photo, "2026-01-30T07:45:00", "")], project, "Acme", A4, brand, URL),
        (1, 2, 3, [(*photo, "", "Sam Site")], project, "Acme", A4, brand, URL),
        (1, 2, 3, [photo], project, "Acme", A4, ("c" * 64, "#1f3a5f", ""), URL),
        (1, 2, 3, [photo], project, "Acme", A4, ("", "#e4007c", ""), URL),
        (1, 2, 3, [photo], project, "Acme", A4, ("", "#1f3a5f", "Acme Ltd · No 123"), URL),
    ]
    template = "t" * 64
    prints = {entries.fingerprint(entries.inputs(*v), template) for v in variants}
    same = entries.fingerprint(entries.inputs(*base), template)
    assert same == entries.fingerprint(entries.inputs(*base), template)
    assert len(prints) == len(variants) and same not in prints
    assert entries.fingerprint(entries.inputs(*base), "u" * 64) != same


def test_a_key_names_its_organisation(world):
    entry = CachedPdf(world.org_a.id, 5, "c" * 64, "d" * 64, 1)
    assert entry.key == f"renders/{world.org_a.id}/{'c' * 64}.pdf"


def test_lookup_finds_only_the_organisations_own_entries(world, bucket):
    ours = stored(factories.record(world.project_a))
    stored(factories.record(world.project_b), fingerprint="e" * 64)

    assert cache.lookup(world.org_a.id, [ours.fingerprint, "e" * 64]) == {ours.fingerprint: ours}
    assert cache.lookup(world.org_b.id, [ours.fingerprint]) == {}


def test_fetch_returns_the_bytes_only_when_they_match_the_recorded_digest(world, bucket):
    entry = stored(factories.record(world.project_a))
    assert cache.fetch(entry) == PDF

    s3.put_bytes(entry.key, PDF + b" tampered", "application/pdf")
    assert cache.fetch(entry) is None

    s3.delete(entry.key)
    assert cache.fetch(entry) is None


def test_remembering_again_replaces_the_digest(world, bucket):
    record = factories.record(world.project_a)
    stored(record, data=b"old bytes")
    again = stored(record, data=b"new bytes")

    assert cache.lookup(world.org_a.id, [again.fingerprint]) == {again.fingerprint: again}
    assert cache.fetch(again) == b"new bytes"
    assert RenderedPdf.query.count() == 1


def test_prune_drops_entries_older_than_the_lifecycle_rule(app, world, bucket):
    old = stored(factories.record(world.project_a), fingerprint="1" * 64)
    fresh = stored(factories.record(world.project_a), fingerprint="2" * 64)
    days = app.config["RENDER_CACHE_DAYS"]
    db.session.execute(
        db.update(RenderedPdf)
        .where(RenderedPdf.fingerprint == old.fingerprint)
        .values(created_at=utcnow() - timedelta(days=days, hours=1))
    )
    db.session.commit()

    assert cache.prune() == 1
    assert set(cache.lookup(world.org_a.id, ["1" * 64, "2" * 64])) == {fresh.fingerprint}
