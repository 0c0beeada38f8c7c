"""The engine bench's laboratory: servers, seeded data, fleets of real workers, what they cost.

Each run starts its workers afresh (`python -m jobs.worker`), enqueues one export, waits for
it to complete and for every worker to fall idle, then stops them with SIGTERM (warm
shutdown). Worker CPU is getrusage(RUSAGE_CHILDREN) over the workers' lives, less what they
had spent starting up: worker, work-horses and render processes, each waited for by its
parent (bench/proctree.py checks it against /proc samples). rclone's CPU is read apart.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import resource
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import redis
from flask import current_app
from rq import Queue, Worker
from sqlalchemy import delete, select

from bench import export_seed, proctree
from jobs import load, prefetch, render
from jobs.assemble import READ_AHEAD, READERS
from jobs.render import MemoryPhotos, RenderError, RenderPool
from portal import queues
from portal.exports import service
from portal.exports.options import ExportOptions, fingerprint_of
from portal.exports.service import create_export
from portal.extensions import db
from portal.models import Export, ExportStatus, Record, RenderedPdf, utcnow
from portal.queues import WORKER_ORDER
from portal.storage import client as s3
from portal.storage import keys
from portal.storage.multipart import MultipartWriter
from tests import factories
from tests.servers import MailSink, RcloneS3, RedisServer
from tests.workers import WorkerProcess

LOGS = Path(__file__).resolve().parent.parent / "test-artifacts" / "logs"  # git-ignored
SETTLE = 1.0  # after a worker registers, its RQ scheduler process starts; wait for it
TIMEOUT = 3 * 3600


@dataclass(frozen=True)
class Fleet:
    """The workers of one run and the settings they differ by."""

    workers: int = 1
    processes: int = 2  # EXPORT_RENDER_PROCESSES of each
    fanout_min: int | None = None  # EXPORT_FANOUT_MIN; None: the default
    chunk: int | None = None  # EXPORT_CHUNK_RECORDS; None: the default
    watch_disk: bool = False  # fresh EXPORT_WORK_DIR and TMPDIR, their use sampled


@dataclass(frozen=True)
class Run:
    export_id: int
    records: int
    wall: float
    cpu: float  # seconds, worker trees, start-up excluded
    rclone_cpu: float
    total_cpu: float  # getrusage over the workers' lives, start-up included
    seen_cpu: float  # the same from /proc samples: a lower bound
    horse_cpu: float  # of which work-horses (and the RQ scheduler), from the samples
    render_cpu: float  # of which render processes, from the samples
    mail_delay: float  # seconds from the row saying completed to its ready email sent
    horse_mb: float  # the work-horses' peak RSS (VmHWM)
    disk_mb: float

    @property
    def rate(self) -> float:
        return self.records / self.wall

    def per_record(self, seconds: float) -> float:
        return 1000 * seconds / self.records


@dataclass
class World:
    member: object
    photos_project: object
    big_project: object
    ids: list[int]  # records with 3 photos each
    big_ids: list[int]  # records without photos
    photos: dict[str, bytes]


def servers(stack: ExitStack, prefix: str) -> tuple[Path, RcloneS3, dict[str, str]]:
    """A temp folder, rclone's S3 and a Redis for one bench run, and the bench's app
    context over them; returns the folder, rclone (whose CPU is counted apart) and the
    settings its workers share."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
    rclone = RcloneS3()
    endpoint = stack.enter_context(rclone)
    env = export_seed.environment(tmp, endpoint, stack.enter_context(RedisServer()))
    stack.enter_context(export_seed.app_for(env).app_context())
    return tmp, rclone, env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Lab:
    """The servers and the seeded data; runs one export at a time on fresh workers."""

    def __init__(self, tmp: Path, env: dict[str, str], rclone_pid: int):
        self.tmp, self.env, self.rclone_pid = tmp, env, rclone_pid
        self.redis = redis.Redis.from_url(env["REDIS_URL"])
        self.log = LOGS / f"engine-bench-workers-{os.getpid()}.log"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.runs = 0

    def worker_env(self, fleet: Fleet) -> tuple[dict[str, str], list[Path]]:
        env = {**self.env, "EXPORT_RENDER_PROCESSES": str(fleet.processes)}
        if fleet.fanout_min is not None:
            env["EXPORT_FANOUT_MIN"] = str(fleet.fanout_min)
        if fleet.chunk is not None:
            env["EXPORT_CHUNK_RECORDS"] = str(fleet.chunk)
        folders = []
        if fleet.watch_disk:
            self.runs += 1
            folders = [self.tmp / f"work-{self.runs}", self.tmp / f"tmp-{self.runs}"]
            for folder in folders:
                folder.mkdir()
            env["EXPORT_WORK_DIR"], env["TMPDIR"] = map(str, folders)
        return env, folders

    def run(self, fleet: Fleet, start: Callable[[], int], records: int) -> Run:
        """Starts the fleet, then the export (`start` enqueues it and returns its id); waits
        for it to complete and the fleet to fall idle, stops the fleet and counts."""
        env, folders = self.worker_env(fleet)
        before, rclone_before = children_cpu(), proctree.own_cpu(self.rclone_pid)
        with ExitStack() as stack:
            roots = [stack.enter_context(WorkerProcess(env, self.log)).proc.pid
                     for _ in range(fleet.workers)]  # fmt: skip
            time.sleep(SETTLE)
            startup = sum(proctree.tree_cpu(root) for root in roots)
            sampler = proctree.Sampler(roots, folders)
            sampler.start()
            started = time.perf_counter()
            export_id = start()
            wait_completed(export_id)
            wall = time.perf_counter() - started
            wait_mailed(export_id)
            mail_delay = time.perf_counter() - started - wall
            wait_idle(self.redis)
            sampler.stop()
        total = children_cpu() - before
        return Run(
            export_id, records, wall, total - startup,
            proctree.own_cpu(self.rclone_pid) - rclone_before, total, sampler.seen_cpu(),
            sampler.seen_cpu(depths=(1,)), sampler.seen_cpu(depths=(2, 3)), mail_delay,
            sampler.horse_hwm_kb / 1024, sampler.peak_disk / 1e6,
        )  # fmt: skip


def wait_completed(export_id: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        status, error = db.session.execute(
            select(Export.status, Export.error).where(Export.id == export_id)
        ).one()
        db.session.rollback()
        if status == ExportStatus.COMPLETED:
            return
        if status in (ExportStatus.FAILED, ExportStatus.CANCELLED):
            raise SystemExit(f"export {export_id} {status}: {error}")
        time.sleep(0.1)
    raise SystemExit(f"export {export_id} did not complete in {TIMEOUT} s")


def wait_mailed(export_id: int, timeout: float = 60) -> None:
    """The ready email is part of an export: the fleet runs until the row says it was sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = db.session.scalar(select(Export.ready_mail_sent_at).where(Export.id == export_id))
        db.session.rollback()
        if sent is not None:
            return
        time.sleep(0.1)
    raise SystemExit(f"export {export_id}: no ready email within {timeout} s of completing")


def wait_idle(connection: redis.Redis) -> None:
    """Every lane empty and every worker idle three looks in a row: helpers that found
    nothing to do and the ready email are part of the export's cost."""
    quiet = 0
    while quiet < 3:
        time.sleep(0.2)
        busy = any(Queue(name, connection=connection).count for name in WORKER_ORDER) or any(
            w.get_state() != "idle" for w in Worker.all(connection=connection)
        )
        quiet = 0 if busy else quiet + 1


def new_export(world: World, project, record_ids: list[int]) -> int:
    options = ExportOptions()
    fingerprint = fingerprint_of(world.member.id, record_ids, options)
    export = create_export(world.member, project, record_ids, options, fingerprint)
    db.session.commit()
    queues.enqueue_export(export)
    return export.id


def seed(records: int, big: int) -> World:
    db.create_all()
    s3.ensure_bucket()
    orgs = factories.two_organisations()
    big_project = factories.project(orgs.org_a, "Bench Depot", "BDP")
    ids = export_seed.records(orgs.project_a, records)
    photos = export_seed.attach_photos(orgs.project_a, ids)
    big_ids = export_seed.records(big_project, big, first=records + 1)
    db.session.commit()
    return World(orgs.member_a, orgs.project_a, big_project, ids, big_ids, photos)


def _memory_worker(parent_pid: int, storage: s3.Settings, photos: dict[str, bytes]) -> None:
    """A render process warmed up as in production, then given its photos from memory."""
    render._init_worker(parent_pid, storage)
    render._bucket = MemoryPhotos(photos)


class MemoryPool(RenderPool):
    """The render engine alone: RenderPool's processes, photos from memory, no storage."""

    def __init__(self, storage: s3.Settings, workers: int, photos: dict[str, bytes]):
        super().__init__(storage, workers)
        self.photos = photos

    def __enter__(self) -> MemoryPool:
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_memory_worker,
            initargs=(os.getpid(), self.storage, self.photos),
        )
        return self


@dataclass(frozen=True)
class Raw:
    records: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.records / self.wall


def raw_engine(world: World, processes: int) -> Raw:
    """RenderPool.render_all over the export's own snapshots, made before the clock starts;
    the pool's start-up is timed, as an export's is."""
    snapshots = list(load.snapshots(world.ids, world.member.organization_id, "A4"))
    before, started = children_cpu(), time.perf_counter()
    with MemoryPool(s3.settings(current_app.config), processes, world.photos) as pool:
        failed = [pdf for _, pdf in pool.render_all(snapshots) if isinstance(pdf, RenderError)]
    if failed:
        raise SystemExit(f"{len(failed)} raw renders failed, first: {failed[0]}")
    return Raw(len(snapshots), time.perf_counter() - started, children_cpu() - before)


@dataclass(frozen=True)
class Floor:
    """What moving the bytes alone costs: no database, no zip, no digest checked."""

    records: int
    wall: float
    cpu: float  # this process, all threads
    rclone_cpu: float

    @property
    def rate(self) -> float:
        return self.records / self.wall


def bytes_alone(record_ids: list[int], rclone_pid: int) -> Floor:
    """Every cached PDF of these records read from S3 (by the same reader and read-ahead as
    assembly's, the window by count alone) and written in order into one multipart upload:
    the part of a warm export that no code of ours can remove while the zip is made of the
    PDFs' bytes. Warm ÷ this is what our code adds."""
    key_of = {rid: keys.rendered_pdf(org, print_) for rid, org, print_ in db.session.execute(
        select(RenderedPdf.record_id, RenderedPdf.organization_id, RenderedPdf.fingerprint)
        .where(RenderedPdf.record_id.in_(record_ids))
    )}  # fmt: skip
    reader = s3.Reader(s3.settings(current_app.config))  # as assembly reads them
    started, cpu = time.perf_counter(), time.process_time()
    rclone_before = proctree.own_cpu(rclone_pid)
    with MultipartWriter(keys.EXPORTS + "bench/bytes-alone", "application/zip") as out:
        ahead = prefetch.in_order(
            [key_of[rid] for rid in record_ids], reader.get, lambda _key: 1,
            threads=READERS, most=READ_AHEAD, budget=READ_AHEAD,
        )  # fmt: skip
        for _key, read in ahead:
            out.write(read.result())
    floor = Floor(len(record_ids), time.perf_counter() - started, time.process_time() - cpu,
                  proctree.own_cpu(rclone_pid) - rclone_before)  # fmt: skip
    s3.delete(keys.EXPORTS + "bench/bytes-alone")
    return floor


def clear_cache() -> None:
    """Every cached PDF gone, index and objects, so the next export renders them all."""
    db.session.execute(delete(RenderedPdf))
    db.session.commit()
    s3.delete_many(s3.list_keys(keys.RENDERS))


def expire_and_reorder(world: World, export_id: int) -> int:
    """The export past its expiry, then re-ordered as its requester would (this enqueues)."""
    old = db.session.get(Export, export_id)
    old.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return service.reorder(old, world.member).export.id


class RangedObject(io.RawIOBase):
    """An S3 object read by ranged GETs: zipfile finds a 2 GB zip's directory and reads its
    manifest without the zip being downloaded."""

    def __init__(self, key: str):
        self.key, self.pos = key, 0
        self.size = s3.boto().head_object(Bucket=s3.bucket(), Key=key)["ContentLength"]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.pos = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence] + offset
        return self.pos

    def readinto(self, buffer) -> int:
        if self.pos >= self.size:
            return 0
        last = min(self.pos + len(buffer), self.size) - 1
        answer = s3.boto().get_object(
            Bucket=s3.bucket(), Key=self.key, Range=f"bytes={self.pos}-{last}"
        )
        data = answer["Body"].read()
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def holds_each_record_once(export_id: int, record_ids: list[int]) -> list[str]:
    """What is wrong with the export's zip (none: every selected record's PDF exactly once,
    listed in MANIFEST.csv), read back from S3."""
    export = db.session.get(Export, export_id)
    if len(export.object_keys) != 1:
        return [f"{len(export.object_keys)} zips, expected 1"]
    source = io.BufferedReader(RangedObject(export.object_keys[0]), 1 << 20)
    with zipfile.ZipFile(source) as archive:
        text = io.TextIOWrapper(archive.open("MANIFEST.csv"), "utf-8-sig", newline="")
        rows = list(csv.DictReader(text))
        pdfs = [
            name for name in archive.namelist() if name.endswith(".pdf") and name != "00-INDEX.pdf"
        ]
    selected = db.session.scalars(select(Record.reference).where(Record.id.in_(record_ids)))
    problems = []
    if sorted(row["reference"] for row in rows) != sorted(selected):
        problems.append("MANIFEST.csv does not list the selection, each once")
    if {row["status"] for row in rows} != {"ok"}:
        problems.append("MANIFEST.csv lists failed records")
    if len(pdfs) != len(set(pdfs)) or sorted(pdfs) != sorted(row["file"] for row in rows):
        problems.append(f"{len(pdfs)} PDFs in the zip do not match the manifest's files")
    return problems


def one_ready_email(export_id: int, mail: MailSink) -> list[str]:
    """What is wrong with the export's emails (none: one, to its requester, recorded)."""
    export = db.session.get(Export, export_id)
    problems = []
    if export.ready_mail_sent_at is None:
        problems.append("ready_mail_sent_at is not set")
    sent = [m for m in mail.messages if export.requested_by.email in m["X-Envelope-To"]]
    if len(sent) != 1:
        problems.append(f"{len(sent)} emails to the requester, expected 1")
    return problems
