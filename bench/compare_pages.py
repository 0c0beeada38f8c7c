"""Are the repo's PDF pages pixel for pixel those of a baseline template dir?

For a change meant to leave the look alone (a cheaper stylesheet, a leaner template): renders
the three kinds and the edge cases below with both, through jobs.render.render_pdf, and
compares every page as `pdftoppm -r 100` PNGs with Pillow's ImageChops, and the PDF bytes.
Without --baseline the baseline is the repo's own templates/pdf minus ua.css, i.e. the same
template under WeasyPrint's HTML5 default stylesheet:

    .venv/bin/python -m bench.compare_pages --out /tmp/pages

Exits 1 when any page differs; differing pages are left in --out to look at.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

from bench.render_bench import photo, photo_key, snapshot
from bench.template_bench import weasyprint_renderer
from jobs.render import TEMPLATES, MemoryPhotos
from jobs.snapshot import ChecklistLine, PhotoRef, RecordSnapshot

LONG_WORDS = "Reinforcement-continuity-check-at-the-transfer-slab-interface-"


def cases() -> dict[str, RecordSnapshot]:
    inspection = snapshot(1, "inspection", 3)
    long_comment = (
        "Cover measured at 28 mm against 40 mm specified along the north edge; "
        "chairs missing at C5–C7, tie wire ends turned into the cover zone.\n"
        "Re-inspect before pour. " * 3
    )
    return {
        "inspection": inspection,
        "issue": snapshot(2, "issue", 3),
        "ncr": snapshot(3, "ncr", 3),
        "long-title": dataclasses.replace(
            inspection,
            title="Pre-pour inspection of the level 12 transfer slab " * 4 + LONG_WORDS * 3,
        ),
        "no-photos": snapshot(4, "inspection", 0),
        "five-photos": dataclasses.replace(
            inspection,
            photos=tuple(
                PhotoRef(photo_key(i), "0" * 64, f"Bay {i + 1} " * (i + 1), f"IMG_{i}.jpg")
                for i in range(5)
            ),
        ),
        "long-comments": dataclasses.replace(
            inspection,
            checklist=tuple(
                ChecklistLine(f"Check item {i} " * 6, ("pass", "fail", "n/a")[i % 3], long_comment)
                for i in range(14)
            ),
        ),
    }


def pages(pdf: bytes, stem: Path) -> list[Path]:
    stem.with_suffix(".pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", stem.with_suffix(".pdf"), stem], check=True)
    return sorted(stem.parent.glob(f"{stem.name}-[0-9]*.png"))


def same_pages(ours: list[Path], theirs: list[Path]) -> bool:
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs, strict=True):
        with Image.open(a) as left, Image.open(b) as right:
            if left.size != right.size or ImageChops.difference(left, right).getbbox():
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="directory for PDFs and PNGs")
    parser.add_argument("--baseline", type=Path, help="templates dir (default: ours, no ua.css)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        baseline = args.baseline
        if baseline is None:
            baseline = Path(tmp) / "templates"
            shutil.copytree(TEMPLATES / "pdf", baseline / "pdf")
            (baseline / "pdf" / "ua.css").unlink(missing_ok=True)
        source = MemoryPhotos({photo_key(i): photo(i, 1600) for i in range(5)})
        ours = weasyprint_renderer(TEMPLATES, source)
        theirs = weasyprint_renderer(baseline.resolve(), source)
        shutil.rmtree(args.out, ignore_errors=True)
        args.out.mkdir(parents=True)
        differ = 0
        for name, snap in cases().items():
            pdf, base_pdf = ours(snap), theirs(snap)
            ok = same_pages(pages(pdf, args.out / name), pages(base_pdf, args.out / f"{name}-base"))
            differ += not ok
            count = len(list(args.out.glob(f"{name}-[0-9]*.png")))
            verdict = "identical pages" if ok else "PAGES DIFFER"
            print(f"{name:<14}{count:>3} pages  {verdict}, PDF bytes", end=" ")
            print("identical" if pdf == base_pdf else f"differ ({len(pdf)} vs {len(base_pdf)})")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
