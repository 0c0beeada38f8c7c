"""What a record's PDF shows besides its details: raised and closed by, an NCR's findings,
the sign-off block (a signature picture, or lines to sign by hand), each photo's time and
photographer (EXIF read once at ingest), and photos that follow the notes when they fit."""

from __future__ import annotations

import io
from datetime import date, datetime

import pypdf
from PIL import Image

from jobs import load
from jobs.render import MemoryPhotos, render_pdf
from jobs.snapshot import PhotoRef, SignOff
from portal.extensions import db
from portal.photos import ingest_photo
from portal.renders.entries import Look
from portal.signatures import prepared_signature
from portal.storage import client as s3
from tests import factories

SIGNATURE_KEY = "attachments/1/rec/signature-s.png"


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def images_on(pdf: bytes, page: int) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages[page].images)


def images_in(pdf: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def signature_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 30, 120)).save(out, "PNG")
    return prepared_signature(out.getvalue())


def ncr(**overrides):
    return factories.record_snapshot(
        "NCR-0007",
        kind="ncr",
        raised_by="Priya Shah",
        closed_by="Declan Murphy",
        closed_at=datetime(2026, 2, 1, 16, 5),
        root_cause="Ties under-tightened.",
        disposition="return_to_supplier",
        corrective_action="Goods-in check added.",
        photos=(PhotoRef(factories.PHOTO_KEY, "a" * 64, "North bay", "n.jpg",
                         datetime(2026, 1, 30, 7, 45), "Sam Site"),),
        **overrides,
    )  # fmt: skip


PHOTOS = MemoryPhotos({factories.PHOTO_KEY: factories.jpeg(), SIGNATURE_KEY: signature_png()})


def test_an_ncr_shows_who_raised_and_closed_it_its_findings_and_a_signed_sign_off():
    signed = ncr(sign_off=SignOff("Declan Murphy", "Site Manager", date(2026, 2, 2), SIGNATURE_KEY))

    pdf = render_pdf(signed, PHOTOS)

    text = "\n".join(pages(pdf))
    for shown in (
        "Raised by Priya Shah", "Closed by Declan Murphy", "2026-02-01 16:05 UTC",
        "Non-conformance", "Root cause Ties under-tightened.", "Disposition Return to supplier",
        "Goods-in check added.", "Sign-off", "Site Manager", "2026-02-02",
        "Taken 2026-01-30 07:45 by Sam Site",
    ):  # fmt: skip
        assert shown in text, shown
    assert images_in(pdf) > images_in(render_pdf(ncr(), PHOTOS))  # the signature
    assert render_pdf(signed, PHOTOS) == pdf


def test_without_a_signature_the_block_leaves_lines_and_other_kinds_show_no_findings():
    unsigned = render_pdf(ncr(), PHOTOS)
    inspection = render_pdf(factories.record_snapshot(photos=()), PHOTOS)

    assert "Name Role Date Signature" in "\n".join(pages(unsigned))
    assert "Non-conformance" not in pages(inspection)[0] and "Sign-off" in pages(inspection)[0]


def test_photos_follow_short_notes_on_the_first_page():
    pdf = render_pdf(factories.record_snapshot(), PHOTOS)
    assert "North bay" in pages(pdf)[0] and images_on(pdf, 0) == 1


def test_ingest_reads_when_a_photo_was_taken_once_and_the_pdf_shows_it(app, world, bucket):
    record = factories.record(world.project_a)
    camera = Image.new("RGB", (320, 240), (90, 140, 180))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:04 07:45:12"
    out = io.BytesIO()
    camera.save(out, "JPEG", exif=exif.tobytes())
    dated = ingest_photo(record, "a.jpg", out.getvalue(), "East face", taken_by="Sam Site")
    undated = ingest_photo(record, "b.jpg", factories.jpeg(), "West face")
    db.session.commit()

    assert (dated.taken_at, dated.taken_by) == (datetime(2026, 3, 4, 7, 45, 12), "Sam Site")
    assert (undated.taken_at, undated.taken_by) == (None, "")
    snapshot = load.snapshot(record, Look("A4"))
    text = "\n".join(pages(render_pdf(snapshot, s3.Bucket(s3.settings(app.config)))))
    assert "Taken 2026-03-04 07:45 by Sam Site" in text and "West face" in text
