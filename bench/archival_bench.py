"""CPU per record and file size of a record PDF: plain, PDF/A alone, and archival (PDF/A-3a
tagged as PDF/UA-1, what exports make by default), measured side by side in one run.

The three are rendered in turn for each record (round robin, after a warm-up), so a busy
machine slows all three alike: the ratios are the figures, not the milliseconds (CPU time
inflates 1.7-2.2x under contention here). "PDF/A alone" is WeasyPrint's untagged pdf/a-3b,
which Sitepack does not offer; it is here to show what the tags cost apart from PDF/A.

    .venv/bin/python -m bench.archival_bench --records 30
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from contextlib import contextmanager

from bench.render_bench import photo, photo_key, snapshots
from jobs import render
from jobs.render import MemoryPhotos, render_pdf
from portal.renders.entries import Look

PDF_A_ALONE = render._PINNED | {"pdf_variant": "pdf/a-3b", "pdf_identifier": True}


@contextmanager
def untagged_pdf_a():
    """The bench's one liberty: render "archival" as plain pdf/a-3b, without the finisher."""
    saved, finish = render._ARCHIVAL, render.archival.finish
    render._ARCHIVAL, render.archival.finish = PDF_A_ALONE, lambda document, pdf: None
    try:
        yield
    finally:
        render._ARCHIVAL, render.archival.finish = saved, finish


def timed(snap, source) -> tuple[float, int]:
    started = time.process_time()
    size = len(render_pdf(snap, source))
    return time.process_time() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=30)
    parser.add_argument("--photos", type=int, default=3, help="photos per record")
    args = parser.parse_args()

    photos = [photo(i, 1600) for i in range(args.photos)]
    source = MemoryPhotos({photo_key(i): data for i, data in enumerate(photos)})
    records = list(snapshots(args.records, photos))
    modes = ("plain", "PDF/A-3b alone", "archival (A-3a + UA-1)")
    cpu, size = dict.fromkeys(modes, 0.0), dict.fromkeys(modes, 0)
    for snap in records[:2]:  # warm-up: template, CSS, fonts, as in a worker
        render_pdf(dataclasses.replace(snap, look=Look(archival=False)), source)
        render_pdf(snap, source)
    for snap in records:
        for mode in modes:
            look = Look(snap.look.paper, archival=mode != "plain")
            if mode == "PDF/A-3b alone":
                with untagged_pdf_a():
                    took, made = timed(dataclasses.replace(snap, look=look), source)
            else:
                took, made = timed(dataclasses.replace(snap, look=look), source)
            cpu[mode], size[mode] = cpu[mode] + took, size[mode] + made

    base_cpu, base_size = cpu["plain"], size["plain"]
    print(f"{args.records} records, {args.photos} photos each, one process, round robin")
    print(f"{'':26} {'CPU ms/record':>14} {'vs plain':>9} {'KB/record':>10} {'vs plain':>9}")
    for mode in modes:
        ms, kb = 1000 * cpu[mode] / args.records, size[mode] / 1024 / args.records
        print(
            f"{mode:26} {ms:14.1f} {cpu[mode] / base_cpu - 1:+9.1%} {kb:10.1f} "
            f"{size[mode] / base_size - 1:+9.1%}"
        )


if __name__ == "__main__":
    main()
