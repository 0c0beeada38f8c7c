"""Planning an attempt: the planner's fingerprints are the snapshot's, and hits count as done."""

from __future__ import annotations

from jobs import load, plan
from jobs.render import template_hash
from portal.exports import attempts
from portal.extensions import db
from portal.models import ExportStatus, Record
from portal.photos import ingest_photo
from portal.renders import cache, entries
from portal.renders.entries import CachedPdf, Look
from tests import factories
from tests.conftest import jpeg
from tests.helpers import reload


def records_with_photos(world, count: int) -> list[Record]:
    made = [factories.record(world.project_a, kind="issue") for _ in range(count)]
    for n, record in enumerate(made):
        for k in range(n % 3):
            ingest_photo(record, f"p{n}-{k}.jpg", jpeg(n * 3 + k), caption=f"Bay {n}.{k}")
    db.session.commit()
    return made


def test_the_planners_fingerprint_is_the_one_the_snapshot_renders_under(world, bucket):
    records = records_with_photos(world, 4)

    planned = plan.fingerprints(world.org_a.id, [r.id for r in records], Look("Letter"))

    for record in records:
        snapshot = load.snapshot(record, Look("Letter"))
        assert planned[record.id] == entries.fingerprint(snapshot.render_inputs(), template_hash())


def test_a_caption_or_a_project_name_changes_the_fingerprint(world, bucket):
    [record] = records_with_photos(world, 2)[1:]
    before = plan.fingerprints(world.org_a.id, [record.id], Look("A4"))[record.id]
    record.attachments[0].caption = "Bay 1, after repair"
    db.session.commit()
    captioned = plan.fingerprints(world.org_a.id, [record.id], Look("A4"))[record.id]
    world.project_a.name = "Harbour View Tower (stage 2)"
    db.session.commit()
    renamed = plan.fingerprints(world.org_a.id, [record.id], Look("A4"))[record.id]

    assert len({before, captioned, renamed}) == 3


def test_records_found_in_the_cache_count_as_done_from_the_start(world, bucket):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, 3)
    attempt = attempts.claim(export.id)
    first = export.items[0].record_id
    print_ = plan.fingerprints(world.org_a.id, [first], Look("A4"))[first]
    cache.remember([CachedPdf(world.org_a.id, first, print_, "a" * 64, 10)])

    work = plan.plan(reload(export.id), attempt)

    assert set(work.cached) == {first} and first not in work.missing
    assert sorted(work.missing) == sorted(i.record_id for i in export.items[1:])
    assert (reload(export.id).done, reload(export.id).cache_hits) == (1, 1)
