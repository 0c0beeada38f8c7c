"""The combined PDF's memory and disk as the export grows: 500 against 2,500 records.

Each size runs in a fresh process: CombinedPdf (jobs/combined.py) gets that many record PDFs
of two pages with a ~200 KB photo each (a few variants, cycled: the job reads each record's
PDF from the cache as bytes just so), in volumes of `--volume-mb`, each finished volume
streamed into a zip on /dev/null as the export's would be. Printed: the peak RSS over the
RSS before (VmHWM − VmRSS), the most bytes the work folder held at once (sampled at every
record and volume), the volumes and their pages, and the wall time. Both should stay flat as
the record count grows: they follow the volume size, not the export.

With --archival each volume is PDF/A-3b (validated as written) and with --signed it is signed
in place (jobs/handover.py), as an archival, signed export's are; the signer is made here,
in-process, and handed to the job in place of the bucket's (no app, no S3 in a bench).

    .venv/bin/python -m bench.combined_bench [--records 500 2500] [--volume-mb 100] \
        [--archival] [--signed]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pikepdf
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from bench.bundle_bench import NullSink
from jobs import handover
from jobs.combined import CombinedPdf
from jobs.index_pdf import FONT, IndexHead, IndexLine, _fonts
from portal.signing.certificates import Signer

VARIANTS = 8


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise KeyError(field)


def record_pdf(seed: int) -> bytes:
    """Two pages, the second with a photo of ~200 KB (noise does not compress)."""
    photo = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(photo, "JPEG", quality=90)
    out = io.BytesIO()
    _fonts()
    canvas = Canvas(out, initialFontName=FONT)  # embedded, as a PDF/A record's are
    canvas.drawString(72, 760, f"Record variant {seed}: details, checklist, notes")
    canvas.showPage()
    canvas.drawImage(ImageReader(io.BytesIO(photo.getvalue())), 72, 300, 400, 300)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def held(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.iterdir() if entry.is_file())


def bench_signer() -> Signer:
    """A self-issued signer: the chain does not matter to the cost of signing."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Build")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return Signer(key, certificate, ())


def measure(records: int, volume_mb: int, archival: bool, signed: bool) -> dict:
    pdfs = [record_pdf(n) for n in range(VARIANTS)]
    head = IndexHead(
        "Bench — combined", ("Bench",), "Bench <bench@test>", datetime.now(), "all", "A4",
        archival=archival, signed_by="Bench Build" if signed else "",
    )  # fmt: skip
    if signed:
        signer = bench_signer()
        handover.certificates = SimpleNamespace(signer_for=lambda *_: signer)
    most_disk, volumes, pages = 0, 0, 0
    before, started = _status("VmRSS"), time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        zipped = zipfile.ZipFile(NullSink(), "w", compression=zipfile.ZIP_STORED, allowZip64=True)

        def emit(name: str, path: Path) -> None:
            nonlocal most_disk, volumes, pages
            most_disk = max(most_disk, held(folder))
            volumes += 1
            with pikepdf.open(path) as pdf:
                pages += len(pdf.pages)
            zipped.write(path, name)

        combined = CombinedPdf(head, volume_mb * 1_000_000, work, emit)
        for n in range(records):
            line = IndexLine(f"INS-{n:05d}", f"Inspection {n}", "inspection", "open", "Ann", 2,
                             f"Bench/inspection/INS-{n:05d}.pdf")  # fmt: skip
            combined.add(line, pdfs[n % VARIANTS], lambda name: b"")
            if n % 50 == 0:
                most_disk = max(most_disk, held(folder))
        combined.close()
        zipped.close()
    return {
        "records": records,
        "peak_rss_mb": round((_status("VmHWM") - before) / 1024, 1),
        "most_disk_mb": round(most_disk / 1e6, 1),
        "volumes": volumes,
        "pages": pages,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[500, 2500])
    parser.add_argument("--volume-mb", type=int, default=100)
    parser.add_argument("--archival", action="store_true")
    parser.add_argument("--signed", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.volume_mb, args.archival, args.signed)))
        return
    print(
        f"{'records':>8} {'peak RSS MB':>11} {'most disk MB':>12} {'volumes':>7} "
        f"{'pages':>6} {'s':>6}"
    )
    for records in args.records:
        command = [sys.executable, "-m", "bench.combined_bench", "--one", str(records),
                   "--volume-mb", str(args.volume_mb)]  # fmt: skip
        command += ["--archival"] * args.archival + ["--signed"] * args.signed
        r = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(f"{r['records']:>8,} {r['peak_rss_mb']:>11} {r['most_disk_mb']:>12} "
              f"{r['volumes']:>7} {r['pages']:>6} {r['seconds']:>6}")  # fmt: skip


if __name__ == "__main__":
    main()
