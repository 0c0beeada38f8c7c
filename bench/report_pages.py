"""Page 1 of the record PDFs a QA lead looks at first, as PNGs to look at: an inspection of a
branded organisation (logo, accent, footer line) and an NCR with its findings and a signed
sign-off. `python -m bench.report_pages --out DIR` (pdftoppm, poppler-utils)."""

from __future__ import annotations

import argparse
import io
import subprocess
from datetime import date, datetime
from pathlib import Path

from PIL import Image, ImageDraw

from jobs.render import MemoryPhotos, render_pdf
from jobs.snapshot import ChecklistLine, PhotoRef, ProjectSnapshot, RecordSnapshot, SignOff
from portal.branding.brand import Branding
from portal.branding.logos import prepared_logo
from portal.signatures import prepared_signature

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 100">'
    b'<rect width="360" height="100" rx="12" fill="#0b6e4f"/>'
    b'<text x="24" y="66" font-size="44" font-weight="bold" fill="#ffffff">NORTHWIND</text></svg>'
)
BRAND = Branding(1, "#0b6e4f", "Northwind Build Ltd · Company no. 01234567 · 1 Quay St", "l" * 64)


def picture(size, colour, lines=False) -> bytes:
    image = Image.new("RGB", size, colour)
    if lines:
        ImageDraw.Draw(image).line((10, 80, 90, 20, 160, 90, 290, 25), fill="navy", width=5)
    out = io.BytesIO()
    image.save(out, "JPEG" if not lines else "PNG")
    return out.getvalue()


def snapshot(reference: str, kind: str, **fields) -> RecordSnapshot:
    return RecordSnapshot(
        organization_id=1, record_id=1, version=3, paper="A4", organization="Northwind Build",
        branding=BRAND, project=ProjectSnapshot("Harbour View Tower", "HVT", "1 Quay St"),
        reference=reference, kind=kind, title="Slab pour, level 3, bays C4–D6", status="closed",
        location="Level 3, grid C–D", trade="Concrete", assignee="Tom Okafor (Castle Concrete)",
        due_date=date(2026, 3, 1), created_at=datetime(2026, 1, 2, 8, 30),
        updated_at=datetime(2026, 2, 1, 16, 5), description="Checked against S-201 rev C.",
        checklist=(ChecklistLine("Cover to reinforcement", "pass", ""),
                   ChecklistLine("Formwork clean", "fail", "Debris at C5")),
        photos=(PhotoRef("photo", "a" * 64, "North bay", "n.jpg", datetime(2026, 1, 30, 7, 45),
                         "Priya Shah"),),
        raised_by="Priya Shah (Site Engineer)", closed_by="Declan Murphy (Site Manager)",
        closed_at=datetime(2026, 2, 1, 16, 5), **fields,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="directory for PDFs and PNGs")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    photos = MemoryPhotos({
        "photo": picture((800, 600), (120, 140, 160)), BRAND.logo_key: prepared_logo(LOGO),
        "signature": prepared_signature(picture((300, 100), "white", lines=True)),
    })  # fmt: skip
    records = {
        "inspection": snapshot("INS-0042", "inspection"),
        "ncr-signed": snapshot(
            "NCR-0007", "ncr", root_cause="Formwork ties under-tightened.", disposition="repair",
            corrective_action="Repair to the engineer's detail; ties checked before each pour.",
            sign_off=SignOff("Declan Murphy", "Site Manager", date(2026, 2, 2), "signature"),
        ),
    }  # fmt: skip
    for name, record in records.items():
        pdf = out / f"{name}.pdf"
        pdf.write_bytes(render_pdf(record, photos))
        command = ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*command, str(pdf), str(out / f"{name}-page1")], check=True)
        print(out / f"{name}-page1.png")


if __name__ == "__main__":
    main()
