"""CPU per record of the PDF template, against a baseline template and against ReportLab.

Renders the same snapshots in this process, after a warm-up, with:
  old        the templates under --baseline (a directory holding pdf/record.html and
             pdf/record.css), if given;
  new        the repo's templates/;
  reportlab  bench/reportlab_record.py, the same report drawn with ReportLab (measured only;
             Sitepack renders with WeasyPrint).
Both templates go through jobs.render.render_pdf itself (photos read by key from memory,
Jinja, WeasyPrint with the process's fonts), so only the template differs. A baseline is a plain
directory rather than a git revision read at run time, so the bench works from any
checkout; make one with, for example:

    git archive 293b095 templates/pdf | tar -x -C /tmp/old
    .venv/bin/python -m bench.template_bench --records 40 --out bench-out \
        --baseline /tmp/old/templates

Page 1 of an inspection (with checklist), an issue and an NCR is written for each variant as
PNGs into --out (`pdftoppm -png -r 60`), to compare the look by eye.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench import reportlab_record
from bench.render_bench import photo, photo_key, snapshot
from jobs.render import TEMPLATES, MemoryPhotos, PhotoSource, render_pdf
from jobs.snapshot import RecordSnapshot

KINDS = ("inspection", "issue", "ncr", "task")
SAMPLES = ("inspection", "issue", "ncr")
Renderer = Callable[[RecordSnapshot], bytes]


@dataclasses.dataclass(frozen=True)
class ExportedSnapshot(RecordSnapshot):
    """Baseline templates from before reproducible PDFs print an export time in the footer;
    they get a fixed one. Copying the fields costs microseconds, next to ~100 ms a render."""

    exported_at: datetime = datetime(2026, 2, 1, 12, 0)


def weasyprint_renderer(templates: Path, photos: PhotoSource) -> Renderer:
    """jobs.render.render_pdf with the template and stylesheets read from `templates`."""

    def render(snap: RecordSnapshot) -> bytes:
        if templates != TEMPLATES:
            fields = {f.name: getattr(snap, f.name) for f in dataclasses.fields(snap)}
            snap = ExportedSnapshot(**fields)
        return render_pdf(snap, photos, templates)

    return render


def reportlab_renderer(photos: PhotoSource) -> Renderer:
    return lambda snap: reportlab_record.render_pdf(snap, photos)


def cpu_ms_per_record(
    renderers: dict[str, Renderer], snaps: list[RecordSnapshot], rounds: int
) -> dict:
    """Each record's best time out of `rounds`, summed. The renderers take turns record by
    record, so other work on a shared machine (it only ever adds time) weighs on them alike."""
    best = {name: [float("inf")] * len(snaps) for name in renderers}
    for render in renderers.values():
        render(snaps[0])
    for _ in range(rounds):
        for i, snap in enumerate(snaps):
            for name, render in renderers.items():
                started = time.process_time()
                render(snap)
                best[name][i] = min(best[name][i], time.process_time() - started)
    return {name: 1000 * sum(times) / len(snaps) for name, times in best.items()}


def python_calls_per_record(renderers: dict[str, Renderer], snaps: list[RecordSnapshot]) -> dict:
    """Function calls counted by cProfile: a figure other processes cannot disturb, which
    follows CPU time closely since both engines are mostly Python."""
    calls = {}
    for name, render in renderers.items():
        profile = cProfile.Profile()
        profile.runcall(lambda render=render: [render(snap) for snap in snaps])
        calls[name] = pstats.Stats(profile).total_calls / len(snaps)
    return calls


def write_samples(renderers: dict[str, Renderer], photo_count: int, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in renderers.items():
        for n, kind in enumerate(SAMPLES, start=1):
            pdf = out / f"{name}-{kind}.pdf"
            pdf.write_bytes(render(snapshot(n, kind, photo_count)))
            png = out / f"{name}-{kind}"
            cmd = ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"]
            subprocess.run([*cmd, str(pdf), str(png)], check=True)
            written.append(png.with_suffix(".png"))
    return written


def print_row(label: str, figures: dict[str, float], cell: str, unit: str) -> None:
    """One line of the table: a figure per renderer, then new/old and reportlab/new."""
    old = f"{figures['new'] / figures['old']:9.2f}" if "old" in figures else f"{'-':>9}"
    cells = "".join(format(value, cell) for value in figures.values())
    print(f"{label:<8}{cells}{old}{figures['reportlab'] / figures['new']:8.2f}   ({unit})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--out", type=Path, required=True, help="directory for PDFs and PNGs")
    parser.add_argument("--baseline", type=Path, help="templates dir to compare against")
    parser.add_argument("--kinds", default=",".join(KINDS), help="record kinds, in turn")
    parser.add_argument("--rounds", type=int, default=3, help="tries per record; the best counts")
    args = parser.parse_args()

    source = MemoryPhotos({photo_key(i): photo(i, 1600) for i in range(3)})
    renderers = {"new": weasyprint_renderer(TEMPLATES, source)}
    renderers["reportlab"] = reportlab_renderer(source)
    if args.baseline:
        renderers = {"old": weasyprint_renderer(args.baseline.resolve(), source), **renderers}
    kinds = args.kinds.split(",")
    print(f"{args.records} records ({', '.join(kinds)} in turn), each the best of {args.rounds}")
    print(f"{'photos':<8}" + "".join(f"{name:>11}" for name in renderers), end="")
    print(f"{'new/old':>9}{'rl/new':>8}")
    for photo_count in (3, 0):
        snaps = [snapshot(n, kinds[n % len(kinds)], photo_count) for n in range(args.records)]
        ms = cpu_ms_per_record(renderers, snaps, args.rounds)
        print_row(str(photo_count), ms, "11.1f", "CPU ms per record")
        calls = python_calls_per_record(renderers, snaps[:8])
        print_row("", {k: v / 1000 for k, v in calls.items()}, "11.0f", "k Python calls per record")
    for path in write_samples(renderers, 3, args.out):
        print(path)


if __name__ == "__main__":
    main()
