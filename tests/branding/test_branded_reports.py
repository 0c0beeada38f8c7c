"""Branding where it shows: the record PDF's header band and footer, the render cache's
fingerprint (a new logo renders again, nothing else does), and the emails."""

from __future__ import annotations

import io
import subprocess
from email import message_from_bytes

import pypdf
from PIL import Image

from jobs import plan
from jobs.render import MemoryPhotos, render_pdf
from portal.branding import store
from portal.branding.brand import Branding
from portal.branding.logos import prepared_logo
from portal.extensions import db, mail
from portal.mailer import LOGO_CID, MailKind, send_export_mail
from portal.models import ExportStatus
from portal.renders.entries import Look
from tests import factories
from tests.branding import logos
from tests.branding.logos import MAGENTA

FOOTER = "Acme Build Ltd · Company no. 01234567 · 1 Quay St"


def logo_pixels_in_header_band(pdf: bytes, tmp_path) -> int:
    """Pixels of the logo's colour in the top sixth of page 1, as pdftoppm draws it."""
    (tmp_path / "record.pdf").write_bytes(pdf)
    command = ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*command, tmp_path / "record.pdf", tmp_path / "page"], check=True)
    with Image.open(tmp_path / "page.png") as page:
        band = page.convert("RGB").crop((0, 0, page.width, page.height // 6))
        return sum(
            count
            for count, (r, g, b) in band.getcolors(band.width * band.height)
            if abs(r - MAGENTA[0]) + abs(g - MAGENTA[1]) + abs(b - MAGENTA[2]) < 30
        )


def test_the_record_pdf_shows_the_logo_in_its_header_and_the_footer_line(tmp_path):
    logo = prepared_logo(logos.svg())
    branded = factories.record_snapshot(branding=Branding(1, "#0b6e4f", FOOTER, "c" * 64))
    photos = MemoryPhotos({factories.PHOTO_KEY: factories.jpeg(), branded.branding.logo_key: logo})

    pdf = render_pdf(branded, photos)
    plain = render_pdf(factories.record_snapshot(), photos)

    assert logo_pixels_in_header_band(pdf, tmp_path) > 200
    assert logo_pixels_in_header_band(plain, tmp_path) == 0
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert FOOTER in text and "INS-0001 · version 4" in text
    assert render_pdf(branded, photos) == pdf


def test_a_new_logo_renders_its_organisations_records_again_and_nothing_else(world, bucket):
    ours, theirs = factories.record(world.project_a), factories.record(world.project_b)
    db.session.commit()

    def prints() -> dict[int, str]:
        db.session.expire_all()
        return {
            **plan.fingerprints(world.org_a.id, [ours.id], Look("A4")),
            **plan.fingerprints(world.org_b.id, [theirs.id], Look("A4")),
        }

    before = prints()
    branding = store.of(world.org_a)
    store.change(
        world.org_a, accent=branding.accent, footer="", logo_png=prepared_logo(logos.svg())
    )
    db.session.commit()
    after = prints()

    assert after[ours.id] != before[ours.id]
    assert after[theirs.id] == before[theirs.id]
    assert prints() == after


def test_the_ready_email_wears_the_organisations_logo_colour_and_footer(world, bucket):
    store.change(world.org_a, accent="#0b6e4f", footer=FOOTER, logo_png=prepared_logo(logos.svg()))
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a)

    with mail.record_messages() as outbox:
        send_export_mail(export, MailKind.READY)

    [message] = outbox
    sent = message_from_bytes(message.as_bytes())
    [logo] = [part for part in sent.walk() if part.get_content_type() == "image/png"]
    assert logo["Content-ID"] == f"<{LOGO_CID}>"
    assert logo.get_payload(decode=True) == store.logo_bytes(store.of(world.org_a))
    assert f'src="cid:{LOGO_CID}"' in message.html and "background:#0b6e4f" in message.html
    assert FOOTER in message.html
