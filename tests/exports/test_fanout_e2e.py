"""One export spread over several real workers, and the render cache it leaves behind.

Every test runs real `python -m jobs.worker` processes against Redis, rclone's S3 and the
SMTP sink; chunks are small here so that a 40-record export is split like a 10,000-record
one would be.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import time
import zipfile
from collections import namedtuple

import redis
from rq import Worker
from rq.job import Job

from portal import queues
from portal.extensions import db
from portal.models import ChunkStatus, Export, ExportChunk, RenderedPdf
from portal.renders import cache
from portal.storage import client as s3
from tests import factories
from tests.factories import member_exports
from tests.helpers import csrf, listed_uploads, reload
from tests.polling import wait_until
from tests.servers import wait_for_mail

FANNED = {"EXPORT_FANOUT_MIN": "10", "EXPORT_CHUNK_RECORDS": "6", "EXPORT_RENDER_PROCESSES": "1"}
DONE = ("completed", "failed", "cancelled")
Chunk = namedtuple("Chunk", "status claim records done")
# Only against a hang: how soon the chunks stop is asserted by what they did, not by time.
STOP_BACKSTOP = 120


def finished(export_id: int, timeout: float = 240) -> Export:
    return wait_until(lambda: (e := reload(export_id)).status in DONE and e, timeout=timeout)


def zips_of(export: Export) -> list[zipfile.ZipFile]:
    return [zipfile.ZipFile(io.BytesIO(s3.get_bytes(key))) for key in export.object_keys]


def manifest(archive: zipfile.ZipFile, name: str = "MANIFEST.csv") -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def assert_holds_each_record_once(export: Export, records) -> None:
    [archive] = zips_of(export)
    assert archive.testzip() is None
    rows = manifest(archive)
    assert sorted(row["reference"] for row in rows) == sorted(r.reference for r in records)
    assert {row["status"] for row in rows} == {"ok"}
    pdfs = [name for name in archive.namelist() if name.endswith(".pdf") and name != "00-INDEX.pdf"]
    assert sorted(pdfs) == sorted(row["file"] for row in rows)
    for row in rows:
        assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]


def job_result(app, job_id: str) -> str:
    """What a finished RQ job returned; a job that raised has no result."""
    job = Job.fetch(job_id, connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    return f"{job.get_status().value}: {job.return_value()}"


def helper_results(app, export: Export) -> list[str]:
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    found = []
    for number in range(1, 50):
        job_id = f"{queues.job_id(export)}-{export.attempt}-helper-{number}"
        if not Job.exists(job_id, connection=connection):
            break
        found.append(Job.fetch(job_id, connection=connection).return_value() or "")
    return found


def busy_with_a_helper(app, procs) -> object | None:
    """The worker process whose work-horse renders a helper's chunk right now."""
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    helping = {w.pid for w in Worker.all(connection=connection)
               if "-helper-" in (w.get_current_job_id() or "")}  # fmt: skip
    for proc in procs:
        if proc.proc.pid in helping and proc.horse_pid():
            return proc
    return None


def test_a_chunked_export_spreads_over_three_workers_and_holds_every_record_once(
    app, client, world, project_records, worker, mail_sink
):
    records = project_records(40, photo_every=4)
    export = member_exports(client, world, records)
    with worker(**FANNED), worker(**FANNED), worker(**FANNED):
        export = finished(export.id)
        wait_for_mail(mail_sink, 1)

    assert export.status == "completed", export.error
    assert (export.done, export.warnings, export.attempt) == (40, 0, 1)
    assert_holds_each_record_once(export, records)
    assert len(mail_sink.messages) == 1
    assert job_result(app, queues.job_id(export)) == "finished: completed: 40 records in 1 zips"
    helped = [r for r in helper_results(app, export) if r.startswith("rendered")]
    assert helped, "no other worker rendered a chunk"
    assert RenderedPdf.query.count() == 40


def test_a_killed_chunk_is_rendered_again_alone_and_the_export_completes_once(
    app, client, world, project_records, worker, mail_sink
):
    records = project_records(48, photo_every=4)
    # The workers are up before the request: a worker that took its time to start (it
    # imports every job's module first) could otherwise find every chunk already rendered.
    with worker(**FANNED) as a, worker(**FANNED) as b, worker(**FANNED) as c:
        export = member_exports(client, world, records)
        victim = wait_until(lambda: busy_with_a_helper(app, (a, b, c)), timeout=90)
        os.kill(victim.horse_pid(), signal.SIGKILL)
        export = finished(export.id)
        wait_for_mail(mail_sink, 1)

    assert export.status == "completed", export.error
    assert (export.done, export.attempt) == (48, 1)  # the chunk was redone, not the export
    assert_holds_each_record_once(export, records)
    assert len(mail_sink.messages) == 1


def chunks_of(export_id: int) -> dict[int, Chunk]:
    """The export's chunks as the database holds them now."""
    db.session.expire_all()
    rows = ExportChunk.query.filter_by(export_id=export_id).all()
    return {r.number: Chunk(r.status, r.claim, len(r.record_ids), r.done) for r in rows}


def rendered_pdfs(export: Export) -> int:
    """PDFs in the organisation's render cache, counted in the bucket (a stopped chunk may
    have stored PDFs it never got to index)."""
    return len(s3.list_keys(f"renders/{export.organization_id}/"))


def test_cancel_during_fan_out_stops_every_chunk_and_leaves_no_zip(
    app, client, world, project_records, worker, bucket
):
    """Asserted by what happened, not how fast, so that a loaded machine cannot break it:
    no chunk starts after the cancel, every chunk running then stops (its job says so), and
    only those chunks' records can have been rendered since. The wall-clock bound is a
    backstop; the time taken is printed."""
    records = project_records(60, photo_every=0)
    # No sweeps: a sweep discards an ended export's chunk rows, which the test reads after.
    quiet = ("--no-sweep",)
    with (
        worker(*quiet, **FANNED) as a,
        worker(*quiet, **FANNED) as b,
        worker(*quiet, **FANNED) as c,
    ):
        export = member_exports(client, world, records)  # once all are up: see the test above
        wait_until(lambda: busy_with_a_helper(app, (a, b, c)), timeout=90)
        token = csrf(client, f"/exports/{export.public_id}")
        client.post(f"/exports/{export.public_id}/cancel", data={"csrf_token": token})
        cancelled_at = time.monotonic()
        at_cancel, rendered_at_cancel = chunks_of(export.id), rendered_pdfs(export)
        connection = redis.Redis.from_url(app.config["REDIS_URL"])
        wait_until(
            lambda: all(w.get_current_job_id() is None for w in Worker.all(connection=connection)),
            timeout=STOP_BACKSTOP,
        )
        stopped_after = time.monotonic() - cancelled_at
        done = reload(export.id).done

    export, after = reload(export.id), chunks_of(export.id)
    running = [n for n, chunk in at_cancel.items() if chunk.status == ChunkStatus.RUNNING]
    queued = [n for n, chunk in at_cancel.items() if chunk.status == ChunkStatus.QUEUED]
    assert running and queued
    assert [(n, after[n].status, after[n].claim) for n in queued] == [
        (n, ChunkStatus.QUEUED, None) for n in queued
    ]  # no chunk started after the cancel
    left = sum(at_cancel[n].records - at_cancel[n].done for n in running)
    assert rendered_pdfs(export) - rendered_at_cancel <= left
    assert export.status == "cancelled" and export.done == done < 60
    assert job_result(app, queues.job_id(export)) == "finished: stopped: cancelled or superseded"
    prefix = f"exports/{export.organization_id}/{export.public_id}/"
    assert s3.list_keys(prefix) == []
    assert [key for key in listed_uploads() if key.startswith(prefix)] == []
    print(f"\n[fan-out] every chunk stopped {stopped_after:.1f} s after the cancel")


def test_a_damaged_cached_pdf_is_rendered_again_and_the_zip_holds_the_right_bytes(
    app, client, world, project_records, worker
):
    records = project_records(5, photo_every=2)
    first = member_exports(client, world, records)
    with worker():
        first = finished(first.id)
        damaged = RenderedPdf.query.filter_by(record_id=records[2].id).one()
        key = f"renders/{damaged.organization_id}/{damaged.fingerprint}.pdf"
        s3.put_bytes(key, b"%PDF-1.7 not the bytes that were rendered", "application/pdf")
        again = factories.export_in("pending", world.member_a, world.project_a, records)
        queues.enqueue_export(again)
        again = finished(again.id)

    assert (first.status, again.status) == ("completed", "completed"), again.error
    assert again.cache_hits == 5
    [archive] = zips_of(again)
    row = next(r for r in manifest(archive) if r["reference"] == records[2].reference)
    assert row["sha256"] == damaged.sha256
    assert hashlib.sha256(s3.get_bytes(key)).hexdigest() == damaged.sha256  # repaired


def test_another_organisations_identical_record_never_hits_the_first_ones_cache(
    app, world, worker, bucket
):
    ours = factories.record(world.project_a, kind="task", n=7, title="Seal the riser")
    theirs = factories.record(world.project_b, kind="task", n=7, title="Seal the riser")
    mine = factories.export_in("pending", world.member_a, world.project_a, [ours])
    other = factories.export_in("pending", world.member_b, world.project_b, [theirs])
    with worker():
        queues.enqueue_export(mine)
        finished(mine.id)
        queues.enqueue_export(other)
        other = finished(other.id)

    assert other.status == "completed" and other.cache_hits == 0, other.error
    rows = RenderedPdf.query.order_by(RenderedPdf.organization_id).all()
    assert [row.organization_id for row in rows] == [world.org_a.id, world.org_b.id]
    assert cache.lookup(world.org_b.id, [rows[0].fingerprint]) == {}
    theirs_key = f"renders/{world.org_b.id}/{rows[1].fingerprint}.pdf"
    assert s3.list_keys(f"renders/{world.org_b.id}/") == [theirs_key]


def test_an_export_past_the_part_size_is_three_zips_that_together_hold_the_selection(
    world, project_records, worker
):
    records = project_records(9, photo_every=0)
    warm = factories.export_in("pending", world.member_a, world.project_a, records)
    with worker():
        queues.enqueue_export(warm)
        finished(warm.id)
    largest = max(row.byte_size for row in RenderedPdf.query)
    export = factories.export_in("pending", world.member_a, world.project_a, records)
    # About three PDFs a part, beside the room each keeps for its manifests and the index.
    with worker(EXPORT_PART_BYTES=str(int(3.5 * largest) + 60_000)):
        queues.enqueue_export(export)
        export = finished(export.id)

    assert export.status == "completed", export.error
    parts = zips_of(export)
    assert 3 <= len(parts) <= 5
    assert all(part.testzip() is None for part in parts)
    every = manifest(parts[-1])
    assert sorted(r["reference"] for r in every) == sorted(r.reference for r in records)
    held, stamps = [], {r["exported_at"] for r in every}
    for number, part in enumerate(parts, start=1):
        rows = manifest(part, f"MANIFEST-PART-{number}.csv")
        assert [r["reference"] for r in rows] == [
            r["reference"] for r in every if r["part"] == str(number)
        ]
        stamps |= {r["exported_at"] for r in rows}
        held += [
            name for name in part.namelist() if name.endswith(".pdf") and name != "00-INDEX.pdf"
        ]
    assert len(held) == len(set(held)) == 9
    assert len(stamps) == 1  # every part was assembled in one export, and says so
    assert [p.byte_size for p in export.parts] == [
        len(s3.get_bytes(key)) for key in export.object_keys
    ]
