"""One measurement of the export benchmark, run in its own process (see export_bench)."""

from __future__ import annotations

import io
import os
import resource
import time
import zipfile

from flask import current_app

from bench.export_seed import app_for
from jobs import load
from jobs.export import run_export
from jobs.render import RenderPool
from portal.exports import attempts
from portal.storage import client as s3


def measure(kind: str, export_id: int) -> dict:
    app = app_for(dict(os.environ))
    with app.app_context():
        export = attempts.load(export_id)
        total = export.total
        zip_bytes, seconds = {"raw": raw, "pipeline": pipeline, "naive": naive}[kind](export)
    return {
        "records": total,
        "seconds": seconds,
        "rate": total / seconds,
        "zip_mb": zip_bytes / 1e6,
        "rss_mb": maxrss(resource.RUSAGE_SELF),
        "child_rss_mb": maxrss(resource.RUSAGE_CHILDREN),
    }


def maxrss(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def snapshots(export):
    return load.snapshots(load.record_ids(export.id), export.organization_id, "A4")


def raw(export) -> tuple[int, float]:
    """The engine alone: snapshots prepared before the clock starts (the render processes
    still read the photos from S3, as they do in an export)."""
    prepared = list(snapshots(export))
    with RenderPool.for_app(current_app) as pool:
        start = time.perf_counter()
        size = sum(len(pdf) for _, pdf in pool.render_all(prepared))
        return size, time.perf_counter() - start


def pipeline(export) -> tuple[int, float]:
    start = time.perf_counter()
    run_export(export.id)
    return attempts.load(export.id).byte_size, time.perf_counter() - start


def naive(export) -> tuple[int, float]:
    """What the 50-record product did: every PDF in memory, the zip in memory, one PUT."""
    start = time.perf_counter()
    buffer = io.BytesIO()
    with RenderPool.for_app(current_app) as pool:
        pdfs = [(snap.reference, pdf) for snap, pdf in pool.render_all(snapshots(export))]
    with zipfile.ZipFile(buffer, "w") as zf:
        for reference, pdf in pdfs:
            zf.writestr(f"{reference}.pdf", pdf)
    s3.put_bytes(f"exports/naive-{export.id}.zip", buffer.getvalue(), "application/zip")
    return buffer.tell(), time.perf_counter() - start
