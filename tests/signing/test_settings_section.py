"""The organisation settings' handover PDFs: an admin sets archival by default and turns signing
on (only once there is a certificate to sign with), which the export form then offers and
the API honours; their own PKCS#12 is stored only when its password opens it."""

from __future__ import annotations

import io

import pytest

from portal.extensions import db
from portal.models import Export
from portal.signing import certificates
from portal.storage import client as s3
from portal.storage import keys
from tests.factories import login
from tests.helpers import csrf, request_export
from tests.signing.test_signing import own_pkcs12

PAGE = "/settings/organisation/"


@pytest.fixture
def app_overrides(tmp_path):
    return {"SIGNING_PASSPHRASE": "correct horse", "SIGNING_CA_PATH": str(tmp_path / "ca.p12")}


def post_policy(client, **fields):
    data = {"csrf_token": csrf(client, PAGE)} | {k: "y" for k, on in fields.items() if on}
    return client.post("/settings/organisation/pdfs", data=data)


def post_key(client, data: bytes, password: str, name: str = "acme.p12"):
    form = {"csrf_token": csrf(client, PAGE), "key": (io.BytesIO(data), name), "password": password}
    return client.post(
        "/settings/organisation/signing-key", data=form, content_type="multipart/form-data"
    )


def test_signing_is_refused_without_a_certificate_and_saved_once_there_is_one(
    client, world, bucket
):
    login(client, "admin@acme.test")
    refused = post_policy(client, archival=False, signing=True)
    assert refused.status_code == 400
    assert "Signing needs a certificate" in refused.get_data(as_text=True)
    db.session.refresh(world.org_a)
    assert (world.org_a.pdf_archival, world.org_a.sign_exports) == (None, False)

    certificates.init_ca()
    assert post_policy(client, archival=False, signing=True).status_code == 303
    db.session.refresh(world.org_a)
    assert (world.org_a.pdf_archival, world.org_a.sign_exports) == (False, True)


@pytest.mark.parametrize(
    ("data", "password", "says"),
    [
        (own_pkcs12(b"their secret"), "not their secret", "password does not open this PKCS#12"),
        (b"%PDF-1.7 not a key at all", "anything", "not a PKCS#12 key file"),
    ],
)
def test_a_key_the_password_does_not_open_or_no_key_is_refused_and_nothing_stored(
    client, world, bucket, data, password, says
):
    login(client, "admin@acme.test")
    response = post_key(client, data, password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert says in page and "Nothing was saved" in page and password not in page
    assert not s3.exists(keys.organization_signer(world.org_a.id))


def test_an_admins_own_key_is_stored_and_named_on_the_page(client, world, bucket):
    login(client, "admin@acme.test")
    assert post_key(client, own_pkcs12(b"pw"), "pw").status_code == 303
    assert "CN=Acme Build (own)" in client.get(PAGE).get_data(as_text=True)
    stored = certificates.stored(world.org_a.id)
    assert stored is not None and stored.subject.rfc4514_string() == "CN=Acme Build (own)"


def test_a_member_gets_404_for_the_sections_posts(client, world, bucket):
    login(client, "member@acme.test")
    assert post_key(client, own_pkcs12(b"pw"), "pw").status_code == 404
    assert post_policy(client, signing=True).status_code == 404
    assert not s3.exists(keys.organization_signer(world.org_a.id))


def test_an_export_is_signed_by_default_once_signing_is_on_and_refused_when_off(
    client, world, bucket, project_records
):
    records = project_records(1, photo_every=0)
    login(client, "member@acme.test")
    refused = request_export(client, world.project_a, records, signed="signed")
    assert refused.status_code == 400 and "does not sign" in refused.get_data(as_text=True)
    records_page = f"/projects/{world.project_a.public_id}/records"
    assert 'name="signed"' not in client.get(records_page).get_data(as_text=True)

    world.org_a.sign_exports = True
    db.session.commit()
    assert 'name="signed"' in client.get(records_page).get_data(as_text=True)
    assert request_export(client, world.project_a, records).status_code == 303
    export = Export.query.one()
    assert export.options["signed"] is True
    page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "Signed (PAdES)" in page
