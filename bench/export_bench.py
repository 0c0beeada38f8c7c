"""The export pipeline against the engine alone, and our streaming path against the naive one.

Seeds one SQLite database and a real S3 endpoint (rclone) with the same records, then runs each
measurement in a fresh process so its peak RSS is its own:

- raw:      RenderPool over snapshots prepared in memory (the engine alone);
- pipeline: jobs.export.run_export, in-process (load, photos from S3, render, zip, upload);
- naive:    every PDF kept in memory, the zip built in a BytesIO, one put_object.

    .venv/bin/python -m bench.export_bench --small 100 --large 5000

Figures go to stdout; the machine is shared and noisy, so compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import export_runs, export_seed
from tests.servers import RcloneS3, RedisServer


def main() -> None:
    args = parse_args()
    if args.measure:
        print(json.dumps(export_runs.measure(args.measure, args.export_id)))
        return
    with (
        tempfile.TemporaryDirectory(prefix="sitepack-bench-") as tmp,
        RcloneS3() as s3,
        RedisServer() as redis_url,
    ):
        env = export_seed.environment(Path(tmp), s3, redis_url, args.processes)
        ids = export_seed.seed(env, [args.small, args.large], args.photo_every)
        report(env, ids, args)


def run(env: dict, kind: str, export_id: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.export_bench",
            "--measure",
            kind,
            "--export-id",
            str(export_id),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(env: dict, ids: dict[int, int], args) -> None:
    small, large = args.small, args.large
    raw = run(env, "raw", ids[small])
    pipe_small = run(env, "pipeline", ids[small])
    print(
        f"records/s  raw render ({small}): {raw['rate']:.2f}   pipeline ({small}): "
        f"{pipe_small['rate']:.2f}   pipeline ÷ raw = {pipe_small['rate'] / raw['rate']:.2f}"
    )
    pipe_large = run(env, "pipeline", ids[large])
    naive_small = run(env, "naive", ids[small])
    naive_large = run(env, "naive", ids[large])
    print(f"pipeline ({large}) records/s: {pipe_large['rate']:.2f}")
    rows = [
        ("pipeline", small, pipe_small),
        ("pipeline", large, pipe_large),
        ("naive", small, naive_small),
        ("naive", large, naive_large),
    ]
    print(
        f"{'path':<10}{'records':>8}{'seconds':>10}{'zip MB':>9}{'job RSS MB':>12}"
        f"{'max child RSS MB':>18}"
    )
    for name, n, r in rows:
        print(
            f"{name:<10}{n:>8}{r['seconds']:>10.1f}{r['zip_mb']:>9.1f}{r['rss_mb']:>12.0f}"
            f"{r['child_rss_mb']:>18.0f}"
        )
    growth = pipe_large["rss_mb"] / pipe_small["rss_mb"]
    print(
        f"pipeline job RSS {large} ÷ {small} records = {growth:.2f} "
        f"(naive: {naive_large['rss_mb'] / naive_small['rss_mb']:.2f})"
    )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--photo-every", type=int, default=4, help="one photo per N records")
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--measure", choices=("raw", "pipeline", "naive"))
    parser.add_argument("--export-id", type=int)
    return parser.parse_args()


if __name__ == "__main__":
    main()
