"""The export zip streamed into S3 against the old path (zip on disk → hash → upload_file).

Starts a local rclone `serve s3`, then runs each path in a fresh process (so its peak RSS is
its own) on the same synthetic PDFs (incompressible, `--entry-mb` each, ZIP_STORED as in an
export):

- old:    ZipArchive on a local file, `digest()` re-reads it, `client.upload_file`;
- stream: ZipArchive into a MultipartWriter, no local file.

    .venv/bin/python -m bench.zipstream_bench --mb 512

CPU is this process's (all threads); rclone's own CPU is shown apart. Disk is what the
process wrote to the local file system (/proc/self/io write_bytes). The machine is shared
and loopback is not a network: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from jobs.archive import ZipArchive
from jobs.assemble import content_disposition
from portal import config as settings
from portal import create_app
from portal.storage import client as s3
from portal.storage.multipart import MultipartWriter
from tests.servers import RcloneS3

KINDS = ("old", "stream")
KEY = "exports/bench/zipstream/attempt-1/bench.zip"
# What the old path uploaded with (boto3's managed transfer of a file on disk).
OLD_TRANSFER = TransferConfig(
    multipart_threshold=16 * 2**20, multipart_chunksize=16 * 2**20, max_concurrency=4
)


def main() -> None:
    args = parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.mb, args.entry_mb)))
        return
    server = RcloneS3()
    with server as endpoint, tempfile.TemporaryDirectory(prefix="zipstream-bench-") as tmp:
        env = environment(endpoint, tmp)
        with app_for(env).app_context():
            s3.ensure_bucket()
        rclone = server.proc.pid
        print(
            f"{args.mb} MB in {args.entry_mb} MB entries, loopback rclone, {os.cpu_count()} cores"
        )
        print(
            f"{'path':<15}{'MB/s':>7}{'CPU ms/MB':>11}{'rclone ms/MB':>14}"
            f"{'peak RSS MB':>13}{'(start)':>8}{'disk MB':>9}"
        )
        for kind in KINDS:
            before = cpu_seconds(rclone)
            r = run(env, kind, args)
            server = (cpu_seconds(rclone) - before) * 1000 / r["mb"]
            print(
                f"{kind:<15}{r['mb'] / r['seconds']:>7.0f}{r['cpu_ms_per_mb']:>11.2f}"
                f"{server:>14.2f}{r['rss_mb']:>13.0f}{r['base_rss_mb']:>8.0f}{r['disk_mb']:>9.0f}"
            )


def measure(kind: str, mb: int, entry_mb: int) -> dict:
    app = app_for(dict(os.environ))
    block = os.urandom(entry_mb * 1024 * 1024)
    with app.app_context():
        s3.boto()  # the client made before the baseline: every path needs it
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
        base_rss = memory_mb("VmRSS")
        written_before, cpu_before = disk_written(), cpu_seconds()
        start = time.perf_counter()
        size = (old_path if kind == "old" else stream_path)(block, mb // entry_mb)
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu_before
        assert s3.boto().head_object(Bucket=s3.bucket(), Key=KEY)["ContentLength"] == size
        s3.delete(KEY)
    return {
        "mb": size / 1e6,
        "seconds": seconds,
        "cpu_ms_per_mb": cpu * 1000 / (size / 1e6),
        "rss_mb": memory_mb("VmHWM"),
        "base_rss_mb": base_rss,
        "disk_mb": (disk_written() - written_before) / 1e6,
    }


def add_entries(target, block: bytes, count: int) -> None:
    with ZipArchive(target) as archive:
        for n in range(count):
            archive.add_bytes(f"P/inspection/INS-{n:05d}-bench.pdf", block)


def old_path(block: bytes, count: int) -> int:
    path = Path(os.environ["EXPORT_WORK_DIR"]) / "export.zip"
    with path.open("wb") as target:
        add_entries(target, block, count)
    digest = hashlib.sha256()
    with path.open("rb") as zipped:  # the old path read the zip again to hash it
        while chunk := zipped.read(2**20):
            digest.update(chunk)
    extra = {"ContentType": "application/zip", "ServerSideEncryption": "AES256"}
    s3.boto().upload_file(str(path), s3.bucket(), KEY, ExtraArgs=extra, Config=OLD_TRANSFER)
    size = path.stat().st_size
    path.unlink()
    return size


def stream_path(block: bytes, count: int) -> int:
    with MultipartWriter(KEY, "application/zip", content_disposition("bench.zip")) as out:
        add_entries(out, block, count)
    return out.tell()


def environment(endpoint, tmp: str) -> dict[str, str]:
    return {
        "SITEPACK_ENV": "test",
        "SECRET_KEY": "bench",
        "DATABASE_URL": "sqlite://",
        "S3_BUCKET": "sitepack-zipstream-bench",
        "S3_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "EXPORT_WORK_DIR": tmp,
    }


def app_for(env: dict):
    return create_app({**settings.from_environment(env), "TESTING": True})


def run(env: dict, kind: str, args) -> dict:
    command = [sys.executable, "-m", "bench.zipstream_bench", "--measure", kind]
    command += ["--mb", str(args.mb), "--entry-mb", str(args.entry_mb)]
    out = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def disk_written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=512, help="size of the zip, in MB")
    parser.add_argument("--entry-mb", type=int, default=2, help="size of each PDF, in MB")
    parser.add_argument("--measure", choices=KINDS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
