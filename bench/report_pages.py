"""What a QA lead looks at first, as PNGs, made from the demo data (portal/demo_data.py and
its painted photos: the records `flask seed` makes) in a branded organisation's look: the
pages of an inspection and of a closed NCR with its findings and sign-off (given a signature
picture, which the demo data has none of), page 1 of the export's index, and the combined
PDF's outline drawn as a text tree. Renders in this process: no database, storage or worker.

    .venv/bin/python -m bench.report_pages [--out bench/output] [--records 24]

pdftoppm (poppler-utils) draws the pages; bench/output/ is git-ignored.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from jobs.combined import CombinedPdf
from jobs.contents import page_count
from jobs.index_pdf import FONT_DIR, IndexHead, IndexLine, render
from jobs.render import MemoryPhotos, render_pdf
from jobs.snapshot import ChecklistLine, PhotoRef, ProjectSnapshot, RecordSnapshot, SignOff
from portal import demo_data
from portal.branding.brand import Branding
from portal.branding.logos import prepared_logo
from portal.demo_photos import SCENE_SIZES, PhotoStudio
from portal.photos import make_rendition
from portal.renders.entries import Look
from portal.signatures import prepared_signature

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 100">'
    b'<rect width="360" height="100" rx="12" fill="#0b6e4f"/>'
    b'<text x="24" y="66" font-size="44" font-weight="bold" fill="#ffffff">NORTHWIND</text></svg>'
)
BRAND = Branding(1, "#0b6e4f", "Northwind Construction Ltd · Company no. 01234567", "l" * 64)
SIGNATURE = "signature"
DPI = "80"


def demo_records(count: int) -> tuple[list[RecordSnapshot], MemoryPhotos]:
    """The first project's records among the seed's first `count`, as render processes get
    them, with their photos' renditions in memory (the seed's generator, the seed's order)."""
    rng = random.Random(1)  # `flask seed`'s default --seed
    plans = demo_data.plan_records(rng, count, len(SCENE_SIZES))
    studio = PhotoStudio(rng)
    project = demo_data.PROJECTS[0]
    photos = MemoryPhotos({BRAND.logo_key: prepared_logo(LOGO), SIGNATURE: signature()})
    records = []
    for number, plan in enumerate(plans, 1):
        if plan.project == 0:
            refs = []
            for n, photo in enumerate(plan.photos):
                data = studio.photo(photo.scene, photo.variant, photo.caption, photo.taken_at)
                photos[f"photo-{number}-{n}"] = make_rendition(data)[0]
                refs.append(PhotoRef(f"photo-{number}-{n}", hashlib.sha256(data).hexdigest(),
                                     photo.caption, photo.filename, photo.taken_at,
                                     photo.taken_by))  # fmt: skip
            records.append(snapshot(number, plan, project, tuple(refs)))
    return records, photos


def snapshot(number: int, plan, project, photos: tuple[PhotoRef, ...]) -> RecordSnapshot:
    report = dict(plan.report)
    sign_off = SignOff(
        report.pop("sign_off_name", ""), report.pop("sign_off_role", ""),
        report.pop("sign_off_date", None), SIGNATURE if plan.kind == "ncr" else None,
    )  # fmt: skip
    return RecordSnapshot(
        organization_id=1, record_id=number, version=1, look=Look(),
        verify_url=f"https://sitepack.test/v/demo{number:012d}",
        organization=demo_data.ORGANISATIONS[project.org], branding=BRAND,
        project=ProjectSnapshot(project.name, project.code, project.address),
        reference=plan.reference, kind=plan.kind, title=plan.title, status=plan.status,
        location=plan.location, trade=plan.trade, assignee=plan.assignee,
        due_date=plan.due_date, created_at=plan.created_at,
        updated_at=plan.updated_at or plan.created_at, description=plan.description,
        checklist=tuple(ChecklistLine(*line) for line in plan.checklist), photos=photos,
        sign_off=sign_off, **report,
    )  # fmt: skip


def signature() -> bytes:
    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line((10, 80, 90, 20, 160, 90, 290, 25), fill="navy", width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return prepared_signature(out.getvalue())


def page_png(pdf: Path, png: Path, number: int = 1) -> Path:
    command = ["pdftoppm", "-png", "-r", DPI, "-f", str(number), "-l", str(number), "-singlefile"]
    subprocess.run([*command, str(pdf), str(png.with_suffix(""))], check=True)
    return png


def outline_png(combined: Path, png: Path) -> Path:
    """The combined PDF's outline as a reader's sidebar lists it: entries, indented, with
    the page each opens (as its label says it, "INS-0042 p. 1")."""
    rows = []
    with pikepdf.open(combined) as pdf, pdf.open_outline() as outline:
        first_pages = {page.objgen: n for n, page in enumerate(pdf.pages)}

        def walk(items, depth: int) -> None:
            for item in items:
                page = first_pages.get(item.destination[0].objgen, 0) if item.destination else 0
                rows.append(f"{'    ' * depth}{item.title}  ·  p. {page + 1}")
                walk(item.children, depth + 1)

        walk(outline.root, 0)
    font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), 15)
    image = Image.new("RGB", (900, 24 * len(rows) + 30), "white")
    draw = ImageDraw.Draw(image)
    for n, row in enumerate(rows):
        draw.text((15, 15 + 24 * n), row, fill=(20, 30, 50), font=font)
    image.save(png)
    return png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/output"))
    parser.add_argument("--records", type=int, default=24, help="of the seed, before filtering")
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    records, photos = demo_records(args.records)
    records.sort(key=lambda r: (r.kind, r.reference))  # the export's default order, by kind
    pdfs = {record.reference: render_pdf(record, photos) for record in records}
    for name, record in (
        ("inspection", next(r for r in records if r.kind == "inspection" and r.photos)),
        ("ncr-signed", next(r for r in records if r.kind == "ncr" and r.sign_off.name)),
    ):
        (out / f"{name}.pdf").write_bytes(pdfs[record.reference])
        for number in range(1, page_count(pdfs[record.reference]) + 1):
            print(page_png(out / f"{name}.pdf", out / f"{name}-page{number}.png", number))
    project = demo_data.PROJECTS[0]
    head = IndexHead(f"{project.name} — {len(records)} records — handover", (project.name,),
                     "Jamie Patel <member@northwind.test>", datetime(2026, 12, 7, 18, 0),
                     "All records", "A4", BRAND.accent, prepared_logo(LOGO))  # fmt: skip
    lines = [
        IndexLine(r.reference, r.title, r.kind, r.status, r.assignee, page_count(pdfs[r.reference]),
                  f"{project.name}/{r.kind}/{r.reference}.pdf")
        for r in records
    ]  # fmt: skip
    render(head, lines, out / "index.pdf")
    print(page_png(out / "index.pdf", out / "index-page1.png"))
    combined = CombinedPdf(
        head, 10**9, None, lambda _, path: shutil.copy(path, out / "combined.pdf")
    )
    for line, record in zip(lines, records, strict=True):
        combined.add(line, pdfs[record.reference])
    combined.close()
    print(outline_png(out / "combined.pdf", out / "combined-outline.png"))


if __name__ == "__main__":
    main()
