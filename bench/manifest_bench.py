"""The manifests' cost as the export grows: 1,000 against 10,000 records' rows.

Each size runs in a fresh process (so its peak RSS is its own): a PartedArchive of one part
gets that many small entries, each with a full manifest row (kind, status, assignee, due
date, version, update time), into a zip on /dev/null, and finishes with MANIFEST.csv and its
MANIFEST.xlsx twin (openpyxl, write-only). Printed: the RSS the process gained while the
rows went in (the zip's own central directory and unique names grow with its entries, as
they always have), the peak RSS while the .xlsx was written over the RSS just before it
(VmHWM, reset through /proc/self/clear_refs), the wall time, the .xlsx's size against the room kept
for it (manifest.xlsx_bound), and the bytes written to local disk (the spools and the
.xlsx's temp file).

    .venv/bin/python -m bench.manifest_bench [--rows 1000 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from bench.bundle_bench import NullSink
from jobs import parts
from jobs.manifest import Facts, xlsx_bound
from jobs.parts import PartedArchive

ENTRY = b"%PDF-1.7 " + bytes(200)


def _status(field: str) -> int:
    """A /proc/self/status figure, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise KeyError(field)


def _written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise KeyError("write_bytes")


class NullPart(NullSink):
    """A part stream that keeps nothing but its length, so only the manifests cost memory."""

    sha256 = "0" * 64

    def __enter__(self) -> NullPart:
        return self

    def __exit__(self, *exc_info) -> None:
        pass


def measure(rows: int) -> dict:
    """One size, in this process."""
    sizes: dict[str, int] = {}
    real_xlsx_into = parts._Spool.xlsx_into

    def xlsx_into(spool, archive, name):
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
        at = _status("VmRSS")
        entry = real_xlsx_into(spool, archive, name)
        sizes.update(xlsx=entry.size, csv=spool.size, rows=spool.rows)
        sizes["xlsx_peak"] = _status("VmHWM") - at
        return entry

    parts._Spool.xlsx_into = xlsx_into  # the bench only watches; the archive runs as ever
    before, written, started = _status("VmRSS"), _written(), time.perf_counter()
    peak = before
    with tempfile.TemporaryDirectory() as tmp:
        archive = PartedArchive(lambda n: NullPart(), 10**12, tmp, exported_at=datetime.now())
        with archive:
            for n in range(rows):
                facts = Facts(
                    "ncr",
                    "open",
                    f"Assignee {n % 40}",
                    date(2027, 1, 1 + n % 28),
                    n % 9 + 1,
                    datetime(2026, 11, 1, n % 24),
                )
                if n == rows - 1:  # the rows are in; the manifests come next
                    peak = _status("VmHWM")
                archive.add_bytes(
                    f"Harbour View Tower/ncr/NCR-{n:05d}-weld-{n}.pdf",
                    ENTRY,
                    reference=f"NCR-{n:05d}",
                    title=f"Weld defect at grid {n}, façade level {n % 30}",
                    sha256=hashlib.sha256(str(n).encode()).hexdigest(),
                    content_type="application/pdf",
                    facts=facts,
                )
    return {
        "rows": rows,
        "peak_rss_mb": round((peak - before) / 1024, 1),
        "xlsx_peak_mb": round(sizes["xlsx_peak"] / 1024, 1),
        "seconds": round(time.perf_counter() - started, 2),
        "csv_kb": sizes["csv"] // 1024,
        "xlsx_kb": sizes["xlsx"] // 1024,
        "xlsx_bound_kb": xlsx_bound(sizes["rows"], sizes["csv"]) // 1024,
        "disk_written_kb": (_written() - written) // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(
        f"{'rows':>7} {'rows in, MB':>11} {'xlsx, MB':>8} {'s':>6} {'CSV KB':>7} {'xlsx KB':>8} "
        f"{'bound KB':>9} {'disk KB':>8}"
    )
    for rows in args.rows:
        out = subprocess.run(
            [sys.executable, "-m", "bench.manifest_bench", "--one", str(rows)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout)
        print(
            f"{r['rows']:>7,} {r['peak_rss_mb']:>11} {r['xlsx_peak_mb']:>8} {r['seconds']:>6} "
            f"{r['csv_kb']:>7,} {r['xlsx_kb']:>8,} {r['xlsx_bound_kb']:>9,} "
            f"{r['disk_written_kb']:>8,}"
        )


if __name__ == "__main__":
    main()
