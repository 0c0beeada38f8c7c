"""Raw PDF render throughput: the engine alone, on one process and on the pool.

This is the ceiling the export pipeline is measured against, so it renders snapshots made
up front (no database, no zip) with photos the size of real renditions. On one process the
photos come from memory; the pool's workers read them from a local S3 endpoint (rclone), as
in an export.

    .venv/bin/python -m bench.render_bench --records 40
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from PIL import Image, ImageDraw

from jobs.render import MemoryPhotos, RenderPool, render_pdf
from jobs.snapshot import ChecklistLine, PhotoRef, ProjectSnapshot, RecordSnapshot
from portal.branding.brand import Branding
from portal.renders.entries import Look
from portal.storage import client as s3
from portal.vocabulary import KIND_LABELS
from tests.servers import RcloneS3

RESULTS = ("pass", "pass", "fail", "n/a")


def photo(seed: int, width: int) -> bytes:
    """A photo-like JPEG: noise over a gradient compresses about as badly as a site photo."""
    height = width * 3 // 4
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 40 + seed * 5).convert("RGB")
    image = Image.blend(base, noise, 0.35)
    ImageDraw.Draw(image).rectangle((width // 5, height // 4, width // 2, height // 2), "#a0522d")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def photo_key(index: int) -> str:
    return f"attachments/bench/rendition-{index}.jpg"


def snapshots(count: int, photos: list[bytes]) -> Iterator[RecordSnapshot]:
    for n in range(1, count + 1):
        yield snapshot(n, "inspection", len(photos))


def snapshot(n: int, kind: str, photo_count: int) -> RecordSnapshot:
    """A record as jobs.load builds it; inspections carry a checklist. Its photos are read
    by key, from the bench's MemoryPhotos."""
    start = datetime(2026, 1, 5, 7, 30)
    return RecordSnapshot(
        organization_id=1,
        record_id=n,
        version=n % 4 + 1,
        look=Look("A4"),
        verify_url=f"https://sitepack.test/v/bench{n:011d}",
        organization="Acme Build Ltd",
        branding=Branding(1),
        project=ProjectSnapshot("Harbour View Tower", "HVT", "1 Quay St"),
        reference=f"{kind[:3].upper()}-{n:04d}",
        kind=kind,
        title=f"{KIND_LABELS[kind]} at level {n % 12 + 1}, bays C{n % 9}–D{n % 9 + 2}",
        status=("open", "in_progress", "closed")[n % 3],
        location=f"Level {n % 12 + 1}, grid C–D",
        trade="Concrete",
        assignee="Priya Natarajan",
        due_date=date(2026, 3, 1) + timedelta(days=n % 30),
        created_at=start + timedelta(hours=n),
        updated_at=start + timedelta(hours=n + 5),
        description="Reinforcement checked against drawing S-201 rev C.\n" * 4,
        checklist=tuple(
            ChecklistLine(f"Check item {i}", RESULTS[i % 4], "See photo.") for i in range(8)
        )
        if kind == "inspection"
        else (),
        photos=tuple(
            PhotoRef(photo_key(i), "0" * 64, f"Bay {i + 1}", f"IMG_{n:04d}_{i}.jpg")
            for i in range(photo_count)
        ),
    )


def on_one_process(count: int, photos: list[bytes]) -> tuple[float, float]:
    """Wall and CPU seconds; CPU time stays meaningful when other work shares the cores."""
    source = MemoryPhotos({photo_key(i): data for i, data in enumerate(photos)})
    render_pdf(next(snapshots(1, photos)), source)  # template, CSS, fonts load once, as in a worker
    started, cpu_started = time.perf_counter(), time.process_time()
    for snap in snapshots(count, photos):
        render_pdf(snap, source)
    return time.perf_counter() - started, time.process_time() - cpu_started


def on_pool(
    count: int, photos: list[bytes], workers: int | None, storage: s3.Settings
) -> tuple[float, RenderPool]:
    started = time.perf_counter()
    with RenderPool(storage, workers) as pool:
        failures = [
            r for _, r in pool.render_all(snapshots(count, photos)) if not isinstance(r, bytes)
        ]
    if failures:
        raise SystemExit(f"{len(failures)} renders failed, first: {failures[0]}")
    return time.perf_counter() - started, pool


def bucket_with(endpoint, photos: list[bytes]) -> s3.Settings:
    storage = s3.Settings(
        endpoint.url, "us-east-1", endpoint.access_key, endpoint.secret_key, "bench"
    )
    client = s3.standalone(storage)
    client.create_bucket(Bucket=storage.bucket)
    for i, data in enumerate(photos):
        client.put_object(Bucket=storage.bucket, Key=photo_key(i), Body=data)
    return storage


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--photos", type=int, default=3, help="photos per record")
    parser.add_argument("--photo-width", type=int, default=1600)
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    args = parser.parse_args()

    photos = [photo(i, args.photo_width) for i in range(args.photos)]
    sizes = ", ".join(f"{len(p) // 1024} KB" for p in photos)
    print(f"{args.records} records, {args.photos} photos each ({args.photo_width}px JPEG: {sizes})")
    print(f"cores: {os.cpu_count()}")

    # The pool runs first, so the parent's peak below is what feeding the pool costs. The
    # workers' figures are read before rclone stops: once reaped it would count among them.
    with RcloneS3() as endpoint:
        pooled, pool = on_pool(args.records, photos, args.workers, bucket_with(endpoint, photos))
        workers_cpu, worker_rss = children_cpu(), peak_rss_mb(resource.RUSAGE_CHILDREN)
    parent_feeding = peak_rss_mb(resource.RUSAGE_SELF)
    single, single_cpu = on_one_process(args.records, photos)

    one_rate, pool_rate = args.records / single, args.records / pooled
    print(f"1 process:  {single:6.1f} s  {one_rate:6.2f} records/s  ", end="")
    print(f"CPU {1000 * single_cpu / args.records:.0f} ms/record")
    print(f"RenderPool: {pooled:6.1f} s  {pool_rate:6.2f} records/s  ", end="")
    print(f"CPU {1000 * workers_cpu / args.records:.0f} ms/record in workers  ", end="")
    print(
        f"({pool.workers} workers, window {pool.window}, {pool_rate / one_rate:.2f}x, start-up in)"
    )
    print(f"peak RSS, parent feeding the pool:    {parent_feeding:6.0f} MB")
    print(f"peak RSS, parent rendering itself:    {peak_rss_mb(resource.RUSAGE_SELF):6.0f} MB")
    print(f"peak RSS, largest render worker:      {worker_rss:6.0f} MB")


if __name__ == "__main__":
    main()
