"""Signing handover PDFs: the deployment CA, an organisation's signer (issued or uploaded),
PAdES signatures that pyHanko validates offline, and `flask signing check`. The PDF signed
here is one the test makes; tests/signing/test_handover_pdfs.py signs the index and a
combined volume."""

from __future__ import annotations

from datetime import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID
from weasyprint import HTML

from jobs.index_pdf import IndexHead, draw_signature, signature_box
from portal.signing import certificates, pdfs
from portal.signing.certificates import SigningError
from portal.storage import client as s3
from portal.storage import keys


@pytest.fixture
def app_overrides(tmp_path):
    return {"SIGNING_PASSPHRASE": "correct horse", "SIGNING_CA_PATH": str(tmp_path / "ca.p12")}


@pytest.fixture
def index_pdf() -> bytes:
    return HTML(string="<h1>00-INDEX</h1><p>2 records</p>").write_pdf()


def signed(pdf: bytes, signer, tmp_path) -> bytes:
    path, face = tmp_path / "signed.pdf", tmp_path / "face.pdf"
    path.write_bytes(pdf)
    head = IndexHead("Index", (), "", datetime(2026, 12, 7), "", "A4", signed_by="Acme Build")
    draw_signature(head, datetime(2026, 12, 7), face)
    pdfs.sign_file(path, signer, signature_box("A4"), face)
    return path.read_bytes()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["signing", *args])


def own_pkcs12(password: bytes) -> bytes:
    """An organisation's own key and self-issued certificate, as an admin would upload it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme Build (own)")])
    cert = certificates._builder(name, name, key.public_key(), 1).sign(key, hashes.SHA256())
    return pkcs12.serialize_key_and_certificates(
        b"own", key, cert, None, BestAvailableEncryption(password)
    )


def test_a_signed_index_validates_against_the_ca_and_a_changed_byte_does_not(
    app, world, bucket, index_pdf, tmp_path
):
    assert cli(app, "init").exit_code == 0
    signer = certificates.signer_for(world.org_a.id, world.org_a.name)

    signed_pdf = signed(index_pdf, signer, tmp_path)
    tampered = bytearray(signed_pdf)
    tampered[len(index_pdf) // 2] ^= 0x01

    [good] = pdfs.check(signed_pdf, certificates.ca_certificate())
    [bad] = pdfs.check(bytes(tampered), certificates.ca_certificate())
    assert (good.intact, good.trusted, good.valid, good.signer) == (True, True, True, "Acme Build")
    assert not bad.intact and not bad.valid
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    ok, broken = (
        cli(app, "check", str(tmp_path / "signed.pdf")),
        cli(app, "check", str(tmp_path / "tampered.pdf")),
    )
    assert ok.exit_code == 0 and ok.output.startswith("valid: signed by Acme Build")
    assert broken.exit_code == 1 and broken.output.startswith("INVALID")


def test_the_ca_is_made_once_and_its_key_is_encrypted_off_the_repo(app, tmp_path):
    assert cli(app, "init").exit_code == 0
    again = cli(app, "init")
    stored = (tmp_path / "ca.p12").read_bytes()

    assert again.exit_code == 1 and "never replaced" in again.output
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(stored, None)
    assert (tmp_path / "ca.p12").stat().st_mode & 0o077 == 0


def test_a_wrong_password_for_an_uploaded_pkcs12_is_refused_and_nothing_is_stored(
    app, world, bucket
):
    data = own_pkcs12(b"their secret")

    with pytest.raises(SigningError, match="password does not open this PKCS#12 file"):
        certificates.upload(world.org_a.id, data, "not their secret")
    assert not s3.exists(keys.organization_signer(world.org_a.id))

    signer = certificates.upload(world.org_a.id, data, "their secret")
    assert certificates.signer_for(world.org_a.id, "ignored").certificate == signer.certificate


def test_a_signature_from_outside_the_deployment_ca_is_intact_but_not_trusted(
    app, world, bucket, index_pdf, tmp_path
):
    assert cli(app, "init").exit_code == 0
    signer = certificates.upload(world.org_a.id, own_pkcs12(b"pw"), "pw")

    [result] = pdfs.check(signed(index_pdf, signer, tmp_path), certificates.ca_certificate())

    assert result.intact and not result.trusted and not result.valid
