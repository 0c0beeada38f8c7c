"""A record's detail page and its photos, served through short-lived presigned URLs."""

import re
from datetime import date, datetime

import pytest
import requests

from portal.extensions import db
from portal.models import ChecklistItem
from portal.storage import client as s3
from tests import factories


@pytest.fixture
def photographed(world):
    """An org A record with a full checklist and one photo stored in the real S3 endpoint."""
    s3.ensure_bucket()
    s3.put_bytes("attachments/t/original.jpg", b"original-bytes", "image/jpeg")
    s3.put_bytes("attachments/t/rendition.jpg", b"rendition-bytes", "image/jpeg")
    record = factories.record(
        world.project_a,
        kind="ncr",
        n=7,
        title="Rebar cover short",
        status="in_progress",
        location="Level 4, grid C3",
        description="Cover measured at 20 mm.",
    )
    record.checklist = [
        ChecklistItem(position=1, label="Cover meets spec", result="fail", comment="20 mm"),
        ChecklistItem(position=2, label="Bar size correct", result="pass", comment=""),
        ChecklistItem(position=3, label="Coupler tested", result="n/a", comment="None used"),
    ]
    db.session.flush()
    photo = factories.attachment(
        record,
        storage_key="attachments/t/original.jpg",
        rendition_key="attachments/t/rendition.jpg",
        filename="cover ré.jpg",
        caption="Cover at C3",
    )
    db.session.commit()
    return record, photo


def test_detail_shows_what_the_pdf_will_show(member, world, photographed):
    record, photo = photographed
    html = member.get(f"/projects/{world.project_a.public_id}/records/{record.public_id}").get_data(
        as_text=True
    )
    for text in [
        "NCR-0007",
        "Rebar cover short",
        "In progress",
        "Level 4, grid C3",
        "Concrete",
        "Sam Site",
        "2026-03-01",
        "Cover measured at 20 mm.",
        "Cover meets spec",
        "None used",
        "Version",
    ]:
        assert text in html, text
    assert re.search(r'badge-fail">Fail<', html) and re.search(r'badge-n-a">N/A<', html)
    assert f'src="/attachments/{photo.public_id}/rendition" loading="lazy"' in html


def test_detail_shows_who_raised_closed_and_signed_it_and_an_ncrs_findings(member, world):
    page = f"/projects/{world.project_a.public_id}/records/"
    bare = factories.record(world.project_a, kind="ncr")
    filled = factories.record(
        world.project_a, kind="ncr", raised_by="Priya Shah (Site Engineer)",
        closed_by="Declan Murphy", closed_at=datetime(2026, 2, 1, 16, 5),
        root_cause="Ties under-tightened.", disposition="repair",
        corrective_action="Ties checked before each pour.", sign_off_name="Declan Murphy",
        sign_off_role="Site Manager", sign_off_date=date(2026, 2, 2),
    )  # fmt: skip
    db.session.commit()

    html = " ".join(member.get(page + filled.public_id).get_data(as_text=True).split())
    for text in ("Raised by</th><td>Priya Shah (Site Engineer)", "Closed by</th><td>Declan Murphy",
                 "2026-02-01 16:05 UTC", "Root cause</th><td class=\"text\">Ties under-tightened.",
                 "Disposition</th><td>Repair", "Ties checked before each pour.", "Site Manager",
                 "2026-02-02", "To be signed by hand"):  # fmt: skip
        assert text in html, text
    empty = member.get(page + bare.public_id).get_data(as_text=True)
    for heading in ("Raised by", "Closed by", "Non-conformance", "Root cause", "Sign-off"):
        assert heading not in empty, heading


def test_photo_rendition_redirects_to_a_presigned_url_that_downloads(member, photographed):
    _, photo = photographed
    response = member.get(f"/attachments/{photo.public_id}/rendition")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=60" in location
    assert requests.get(location, timeout=10).content == b"rendition-bytes"


def test_photo_without_a_rendition_falls_back_to_the_original(member, photographed):
    _, photo = photographed
    photo.rendition_key = None
    db.session.commit()
    location = member.get(f"/attachments/{photo.public_id}/rendition").headers["Location"]
    assert requests.get(location, timeout=10).content == b"original-bytes"


def test_photo_original_downloads_with_its_filename(member, photographed):
    _, photo = photographed
    location = member.get(f"/attachments/{photo.public_id}/original").headers["Location"]
    download = requests.get(location, timeout=10)
    assert download.content == b"original-bytes"
    assert "filename*=UTF-8''cover%20r%C3%A9.jpg" in download.headers.get("Content-Disposition", "")


def test_tampered_presigned_url_is_refused(member, photographed):
    _, photo = photographed
    location = member.get(f"/attachments/{photo.public_id}/rendition").headers["Location"]
    tampered = location.replace("rendition.jpg", "original.jpg")
    assert requests.get(tampered, timeout=10).status_code == 403
