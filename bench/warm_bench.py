"""Issue 22's benchmarks: a warm export at the speed of its bytes, in one table.

Records without photos get cached "PDFs" (0.3 MB, the demo's size, and 2 MB, the engine
bench's) straight into the render cache, object and index row with the digest it must match,
so a warm export of 10,000 records costs a minute to seed, not hours to render. Every export
runs on fresh real workers against rclone's S3 and SQLite (bench/engine_lab.py), one at a time:

    .venv/bin/python -m bench.warm_bench [--records 10000] [--small 100] [--large 1000] [--quick]

1. warm export of `--records` demo-size records on 1 worker, then on 2, and the bytes alone
   (the same PDFs read and written to one object: no zip, no checks, no database);
2. the same at `--small` records: the work-horse's peak RSS, big ÷ small (goal ≤ 1.1);
3. warm export of `--large` records of 2 MB against their bytes alone (goal ≥ 0.9);
4. S3 clients side by side on the same objects: boto3, obstore, awscrt's (when installed);
5. the API's status read, a full answer and a 304, CPU in this process;
6. queue pickup (request committed → claimed) with an idle worker, p50 of `--pickups`.

CPU per record is the workers' whole trees (worker, work-horses, the mail job), "horse" the
export's work-horse alone. The machine is shared: read the ratios, measured in this one run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from flask import current_app
from sqlalchemy import func, select

from bench import engine_lab, export_seed
from bench.engine_lab import Fleet, Lab, new_export
from jobs import plan
from portal import queues
from portal.exports.options import ExportOptions, fingerprint_of
from portal.exports.service import create_export
from portal.extensions import db
from portal.models import Export, Record, RenderedPdf, utcnow
from portal.renders import cache
from portal.renders.entries import DEFAULT_PAPER, CachedPdf
from portal.storage import client as s3
from portal.storage.keys import rendered_pdf
from tests import factories
from tests.servers import MailSink
from tests.workers import WorkerProcess


def seed_cached(
    count: int, pdf_bytes: int, name: str, code: str, member=None
) -> tuple[object, object, list[int]]:
    """`count` records without photos in a new project, each with a cached PDF of `pdf_bytes`
    (distinct bytes per record, so every digest is its own); the first call makes the
    organisations and its member, later ones take that member."""
    if member is None:
        db.create_all()
        s3.ensure_bucket()
        member = factories.two_organisations().member_a
    first = 1 + db.session.scalar(select(func.count(Record.id)))
    project = factories.project(member.organization, name, code)
    ids = export_seed.records(project, count, first=first)
    db.session.commit()
    org = member.organization_id
    prints = plan.fingerprints(org, ids, DEFAULT_PAPER)
    body = random.Random(22).randbytes(pdf_bytes)
    bucket = s3.Bucket(s3.settings(current_app.config))

    def store(rid: int) -> CachedPdf:
        data = b"%PDF-1.7\n%" + str(rid).encode() + body[len(str(rid)) + 10 :]
        entry = CachedPdf(org, rid, prints[rid], hashlib.sha256(data).hexdigest(), len(data))
        bucket.put_bytes(entry.key, data, "application/pdf")
        return entry

    with ThreadPoolExecutor(4) as pool:
        entries = list(pool.map(store, ids))
    cache.remember(entries)
    return member, project, ids


def s3_clients(keys: list[str], readers: int) -> list[tuple[str, float, float]]:
    """(client, wall s, CPU s of this process) reading every key `readers` at a time, each
    client in turn over the same objects: what a GET costs besides its bytes."""
    where = s3.settings(current_app.config)
    results = []
    for name, make in (("boto3", boto3_reader), ("obstore", obstore_reader),
                       ("awscrt", crt_reader)):  # fmt: skip
        try:
            read = make(where)
        except ImportError as exc:  # awscrt is not kept installed: botocore signs with it
            note(f"{name}: not installed ({exc})")
            continue
        read(keys[0])
        started, cpu = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(readers) as pool:
            size = sum(len(memoryview(data)) for data in pool.map(read, keys))
        results.append((name, time.perf_counter() - started, time.process_time() - cpu))
        note(f"{name}: {size / 1e6:.0f} MB, {results[-1][1]:.2f} s, CPU {results[-1][2]:.2f} s")
    return results


def boto3_reader(where: s3.Settings):
    return s3.Bucket(where).get_bytes


def obstore_reader(where: s3.Settings):
    import obstore
    from obstore.store import S3Store

    store = S3Store(
        where.bucket, endpoint=where.endpoint_url, region=where.region,
        access_key_id=where.access_key_id, secret_access_key=where.secret_access_key,
        virtual_hosted_style_request=False, client_options={"allow_http": True},
    )  # fmt: skip
    return lambda key: obstore.get(store, key).bytes()


def crt_reader(where: s3.Settings):
    from urllib.parse import urlsplit

    from awscrt import auth, http, io
    from awscrt import s3 as crt

    endpoint = urlsplit(where.endpoint_url)
    credentials = auth.AwsCredentialsProvider.new_static(
        where.access_key_id, where.secret_access_key
    )
    client = crt.S3Client(
        bootstrap=io.ClientBootstrap(io.EventLoopGroup(2), io.DefaultHostResolver(
            io.EventLoopGroup(1))),
        region=where.region, tls_mode=crt.S3RequestTlsMode.DISABLED,
        signing_config=crt.create_default_s3_signing_config(
            region=where.region, credential_provider=credentials),
    )  # fmt: skip

    def read(key: str) -> bytes:
        chunks: list[bytes] = []
        headers = http.HttpHeaders([("Host", endpoint.netloc)])
        request = http.HttpRequest("GET", f"/{where.bucket}/{key}", headers)
        done = client.make_request(
            type=crt.S3RequestType.GET_OBJECT, request=request,
            on_body=lambda chunk, offset, **_: chunks.append(chunk),
        )  # fmt: skip
        done.finished_future.result()
        return b"".join(chunks)

    return read


def warm(lab: Lab, member, project, ids: list[int], workers: int = 1) -> engine_lab.Run:
    world = engine_lab.World(member, project, project, ids, [], {})
    return lab.run(Fleet(workers=workers, processes=2), lambda: new_export(world, project, ids),
                   len(ids))  # fmt: skip


def pickups(lab: Lab, member, project, ids: list[int], count: int) -> list[float]:
    """Seconds from an export's request committed to a worker's claim, `count` exports of a
    few records one after another, the worker idle (on its blocking pop) before each."""
    waits = []
    with WorkerProcess(lab.env, lab.log):
        time.sleep(engine_lab.SETTLE)
        for n in range(count):
            options, selection = ExportOptions(), ids[3 * n : 3 * n + 3]  # each its own
            export = create_export(member, project, selection, options,
                                   fingerprint_of(member.id, selection, options))  # fmt: skip
            db.session.commit()
            committed = utcnow()
            queues.enqueue_export(export)
            engine_lab.wait_completed(export.id)
            started = db.session.scalar(select(Export.started_at).where(Export.id == export.id))
            db.session.rollback()
            waits.append((started - committed).total_seconds())
            engine_lab.wait_idle(lab.redis)
    return waits


def api_reads(member, export_id: int, count: int = 300) -> tuple[float, float]:
    """CPU ms of one `GET /api/v1/exports/{id}` in this process (Flask's test client, the
    bench's SQLite): a full answer, then with its ETag sent back (304)."""
    client = current_app.test_client()
    headers = factories.bearer(factories.api_key(member))
    path = f"/api/v1/exports/{db.session.get(Export, export_id).public_id}"
    client.get(path, headers=headers)
    costs = []
    for conditional in (False, True):
        tag = client.get(path, headers=headers).headers["ETag"]
        extra = {"If-None-Match": tag} if conditional else {}
        started = time.process_time()
        for _ in range(count):
            answer = client.get(path, headers={**headers, **extra})
        costs.append(1000 * (time.process_time() - started) / count)
        assert answer.status_code == (304 if conditional else 200), answer.status_code
    return costs[0], costs[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="demo-size warm export")
    parser.add_argument("--small", type=int, default=100, help="its peak RSS baseline")
    parser.add_argument("--pdf-kb", type=int, default=300)
    parser.add_argument("--large", type=int, default=1000, help="records of --large-kb")
    parser.add_argument("--large-kb", type=int, default=2000)
    parser.add_argument("--pickups", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="smoke run: 600 and 100 records")
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.large, args.pickups = 600, 100, 5
    return args


def run_row(what: str, run: engine_lab.Run, result: str = "") -> list:
    per = run.per_record
    return [what, run.wall, run.rate, per(run.cpu), 1000 * run.horse_cpu / run.records,
            per(run.rclone_cpu), run.horse_mb, result]  # fmt: skip


def floor_row(what: str, floor: engine_lab.Floor, warm: engine_lab.Run) -> list:
    n = floor.records
    return [what, floor.wall, floor.rate, 1000 * floor.cpu / n, None, 1000 * floor.rclone_cpu / n,
            None, f"warm ÷ floor (rate) = {warm.rate / floor.rate:.2f}"]  # fmt: skip


def exports(lab: Lab, args, demo, large) -> list[list]:
    """The warm exports and their floors, one after another on fresh workers."""
    member, project, ids = demo
    small = warm(lab, member, project, ids[: args.small])
    one = warm(lab, member, project, ids)
    two = warm(lab, member, project, ids, workers=2)
    floor = engine_lab.bytes_alone(ids, lab.rclone_pid)
    growth = one.horse_mb / small.horse_mb
    big = warm(lab, large[0], large[1], large[2])
    big_floor = engine_lab.bytes_alone(large[2], lab.rclone_pid)
    n, kb = len(ids), args.pdf_kb
    return [
        run_row(f"warm export, {n} records of {kb} KB, 1 worker", one,
                f"CPU ≤ 2 ms/record {verdict(one.per_record(one.cpu) <= 2)}"),
        run_row("the same, 2 workers", two, f"≤ 15 s {verdict(two.wall <= 15)}"),
        floor_row("the bytes alone (same PDFs, one object, no zip, no checks)", floor, one),
        run_row(f"warm export, {args.small} records of {kb} KB, 1 worker", small,
                f"peak RSS {n} ÷ {args.small} = {growth:.2f} (≤ 1.1) {verdict(growth <= 1.1)}"),
        run_row(f"warm export, {len(large[2])} records of {args.large_kb} KB, 1 worker", big),
        floor_row("the bytes alone", big_floor, big),
    ]  # fmt: skip


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def table(rows: list[list]) -> str:
    def cell(value, digits: int, width: int) -> str:
        return f"{'—' if value is None else f'{value:.{digits}f}':>{width}}"

    lines = [f"{'run':<62} {'wall s':>7} {'rec/s':>7} {'CPU ms/rec':>10} {'horse':>6} "
             f"{'rclone':>6} {'RSS MB':>6}  result"]  # fmt: skip
    for what, wall, rate, cpu, horse, rclone, rss, result in rows:
        figures = [cell(wall, 1, 7), cell(rate, 0, 7), cell(cpu, 2, 10), cell(horse, 2, 6),
                   cell(rclone, 2, 6), cell(rss, 0, 6)]  # fmt: skip
        lines.append(f"{what:<62} {' '.join(figures)}  {result}")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    note(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with ExitStack() as stack:
        tmp, rclone, env = engine_lab.servers(stack, "sitepack-warm-")
        demo = seed_cached(args.records, args.pdf_kb * 1000, "Warm Depot", "WDP")
        large = seed_cached(args.large, args.large_kb * 1000, "Warm Yard", "WYD", demo[0])
        note("seeded")
        mail = stack.enter_context(MailSink())
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail.port))
        lab = Lab(tmp, env, rclone.proc.pid)
        rows = exports(lab, args, demo, large)
        org, keys = demo[0].organization_id, demo_keys(demo[2][:2000])
        clients = s3_clients([rendered_pdf(org, print_) for print_ in keys], 8)
        full, unchanged = api_reads(
            demo[0],
            new_export(
                engine_lab.World(demo[0], demo[1], demo[1], demo[2], [], {}), demo[1], demo[2][:10]
            ),
        )
        waits = sorted(pickups(lab, *demo, args.pickups))
    load = os.getloadavg()
    print(table(rows))
    print(
        f"\nS3 GETs of {args.pdf_kb} KB, 8 at once, CPU ms a GET: "
        + ", ".join(f"{name} {1000 * cpu / len(keys):.2f}" for name, _, cpu in clients)
    )
    print(f"API status read, CPU ms: {full:.2f} (200), {unchanged:.2f} (304 with its ETag)")
    print(
        f"queue pickup, request committed → claimed, idle worker: p50 "
        f"{1000 * statistics.median(waits):.0f} ms of {len(waits)} "
        f"(min {1000 * waits[0]:.0f}, max {1000 * waits[-1]:.0f})"
    )
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def demo_keys(ids: list[int]) -> list[str]:
    return list(db.session.scalars(
        select(RenderedPdf.fingerprint).where(RenderedPdf.record_id.in_(ids))))  # fmt: skip


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
