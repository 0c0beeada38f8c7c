"""The link-bundle fetcher: many URLs from loopback servers into a zip, what it costs.

Starts four file servers (separate processes, on 127.0.0.1, allowlisted), then for each
batch runs a fresh process (so its peak RSS is its own) that fetches every URL with
`fanout.fetch_all` at the default limits (8 at once, 2 per server) and writes each file into
a ZipArchive, on a null sink (the fetcher's cost alone, with the zip's CRC) or, with
`--sink s3`, into a MultipartWriter upload to a local rclone `serve s3` (the export's path):

- small: 1,000 files of `--small-kb` KB;
- large: 20 files of `--large-mb` MB.

    .venv/bin/python -m bench.bundle_bench [--small-kb 50] [--large-mb 50] [--sink s3]
                                           [--end-to-end]

`--end-to-end` adds a row: the small batch as a real bundle, from its row through a real
worker to the zip in rclone's S3 and the email (bench/bundle_e2e.py).

CPU is the fetching process's (all threads); the servers' and rclone's are not in it (the
servers' is shown apart). Peak RSS is VmHWM; files past 1 MB spool to a temp dir. Loopback
is not a network and the machine is shared: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import bundle_e2e
from bench.proctree import own_cpu
from bench.zipstream_bench import app_for, cpu_seconds, environment, memory_mb
from jobs.archive import ZipArchive
from portal.outbound.download import Rules
from portal.outbound.fanout import fetch_all
from portal.outbound.guard import Allowed, Policy
from portal.storage import client as s3
from portal.storage.multipart import MultipartWriter
from tests.polling import wait_until
from tests.servers import RcloneS3, free_port, port_open, stop_process

SERVERS = 4
KEY = "exports/bench/bundle/attempt-1/bench.zip"
BLOCK = os.urandom(2**20)  # each server's own random bytes; a file repeats its server's block
PDF = b"%PDF-1.7\n"


def main() -> None:
    args = parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.count, args.size, args.ports, args.sink)))
        return
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bundle-bench-"))
        env = {"EXPORT_WORK_DIR": tmp}
        if args.sink == "s3":
            env = environment(stack.enter_context(RcloneS3()), tmp)
            with app_for(env).app_context():
                s3.ensure_bucket()
        report(args, env)


def report(args: argparse.Namespace, env: dict[str, str]) -> None:
    ports = [free_port() for _ in range(SERVERS)]
    servers = [start_server(port) for port in ports]
    try:
        print(f"zip on {args.sink}; loopback, {SERVERS} servers; 8 at once, 2 per server; ", end="")
        print(f"{os.cpu_count()} cores")
        print(
            f"{'batch':<22}{'MB/s':>7}{'entries/s':>11}{'CPU ms/entry':>14}{'CPU ms/MB':>11}"
            f"{'peak RSS MB':>13}{'(start)':>9}{'server ms/MB':>14}"
        )
        batches = [("small", 1000, args.small_kb * 1024), ("large", 20, args.large_mb * 2**20)]
        for name, count, size in batches:
            before = sum(own_cpu(s.pid) for s in servers)
            r = run(name, count, size, ports, args.sink, env)
            server = (sum(own_cpu(s.pid) for s in servers) - before) * 1000 / r["mb"]
            label = f"{count} x " + (f"{size >> 20} MB" if size >= 2**20 else f"{size >> 10} KB")
            print(
                f"{label:<22}{r['mb'] / r['seconds']:>7.0f}{count / r['seconds']:>11.0f}"
                f"{r['cpu_s'] * 1000 / count:>14.2f}{r['cpu_s'] * 1000 / r['mb']:>11.2f}"
                f"{r['peak_rss_mb']:>13.0f}{r['start_rss_mb']:>9.0f}{server:>14.2f}"
            )
        if args.end_to_end:
            print(end_to_end_row(ports, 1000, args.small_kb * 1024))
    finally:
        for server in servers:
            stop_process(server)


def end_to_end_row(ports: list[int], count: int, size: int) -> str:
    """The same columns for a whole bundle; RSS is the work-horse's, with no start figure,
    and the last column is rclone's CPU per MB rather than the file servers'."""
    r = bundle_e2e.end_to_end(ports, count, size)
    mb = count * size / 2**20
    label = f"{count} x {size >> 10} KB end to end"
    return (
        f"{label:<22}{mb / r.wall:>7.0f}{count / r.wall:>11.0f}{r.cpu * 1000 / count:>14.2f}"
        f"{r.cpu * 1000 / mb:>11.2f}{r.horse_mb:>13.0f}{'':>9}{r.rclone_cpu * 1000 / mb:>14.2f}"
    )


def run(name: str, count: int, size: int, ports: list[int], sink: str, env: dict) -> dict:
    args = [sys.executable, "-m", "bench.bundle_bench", "--measure", name, "--sink", sink]
    args += ["--count", str(count), "--size", str(size), "--ports", *map(str, ports)]
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **env})
    if done.returncode:
        raise SystemExit(f"the {name} batch failed:\n{done.stderr}")
    return json.loads(done.stdout)


def measure(name: str, count: int, size: int, ports: list[int], sink: str) -> dict:
    """Fetch `count` files of `size` bytes into a zip on `sink`; this process's cost."""
    urls = [f"http://127.0.0.1:{ports[n % len(ports)]}/{n}?size={size}" for n in range(count)]
    rules = replace(bench_rules(ports, size), work_dir=os.environ["EXPORT_WORK_DIR"])
    app = app_for(dict(os.environ)) if sink == "s3" else None
    with app.app_context() if app else contextlib.nullcontext():
        if app:
            s3.boto()  # the client made before the baseline, as every export has one
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
        start_rss, cpu, started = memory_mb("VmRSS"), cpu_seconds(), time.monotonic()
        if sink == "s3":
            with MultipartWriter(KEY, "application/zip") as upload:
                zip_into(upload, urls, rules, name)
        else:
            zip_into(NullSink(), urls, rules, name)
        seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "mb": count * size / 2**20,
        "peak_rss_mb": memory_mb("VmHWM"),
        "start_rss_mb": start_rss,
    }


def zip_into(target, urls: list[str], rules: Rules, name: str) -> None:
    with ZipArchive(target) as archive:
        for n, result in enumerate(fetch_all(urls, rules)):
            if not result.ok:
                raise SystemExit(f"{result.url}: {result.error}")
            with result.file:
                # Size and digest known: the zip hashes nothing again (as the export will).
                archive.add_stream(f"{name}/{n}.pdf", result.file, result.size, result.sha256)


def bench_rules(ports: list[int], size: int) -> Rules:
    """The app's defaults (8 at once, 2 per server), loopback allowlisted."""
    allowlist = tuple(Allowed.parse(f"127.0.0.1:{port}") for port in ports)
    policy = Policy(allowlist=allowlist, deadline=300, max_bytes=size + 1)
    return Rules(
        policy=policy, allowed_types=frozenset({"application/pdf"}), bundle_max_bytes=2**40
    )


class NullSink:
    """A stream that counts what is written: `tell()` and no `seek()`, as an S3 upload."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass


def start_server(port: int) -> subprocess.Popen:
    args = [sys.executable, "-m", "bench.bundle_bench", "--serve", str(port)]
    proc = subprocess.Popen(args, cwd=Path(__file__).resolve().parent.parent)
    wait_until(lambda: port_open(port) or proc.poll() is not None, timeout=20)
    return proc


class FileHandler(BaseHTTPRequestHandler):
    """`/<anything>?size=N`: a PDF-looking body of N bytes, sent in 1 MB writes."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        size = int(self.path.rsplit("size=", 1)[1])
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(PDF + BLOCK[: min(size, len(BLOCK)) - len(PDF)])
        sent = min(size, len(BLOCK))
        while sent < size:
            piece = BLOCK[: min(len(BLOCK), size - sent)]
            self.wfile.write(piece)
            sent += len(piece)

    def log_message(self, *args) -> None:
        pass


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), FileHandler)
    server.daemon_threads = True
    server.serve_forever()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-kb", type=int, default=50)
    parser.add_argument("--large-mb", type=int, default=50)
    parser.add_argument("--sink", choices=("null", "s3"), default="null")
    parser.add_argument("--end-to-end", action="store_true", help="add the end-to-end row")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ports", type=int, nargs="*", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
