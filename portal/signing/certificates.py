"""The keys that sign handover PDFs: the deployment's CA and each organisation's signer.

`flask signing init` makes the CA once per deployment; an organisation without a signer of its
own gets one issued by the CA the first time it signs, and an org admin may upload a PKCS#12
instead. Every private key is stored as a PKCS#12 encrypted under SIGNING_PASSPHRASE (from the
environment, never in the repo or the bucket), on SIGNING_CA_PATH's disk or in the bucket
under portal/storage/keys.py's signing/ keys.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app

from portal.storage import client as s3
from portal.storage import keys

CA_YEARS, SIGNER_YEARS = 30, 10  # a handover pack is checked for the life of a building
PKCS12_MAX_BYTES = 64 * 1024


class SigningError(Exception):
    """Something a person can act on: a missing CA, a wrong password, a file that is no key."""


@dataclass(frozen=True)
class Signer:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # the issuers, for the signature's certificate set


def init_ca(organisation_name: str = "Sitepack deployment CA") -> x509.Certificate:
    """Makes the deployment CA; refuses to replace one (every signer it issued would go)."""
    if _ca_exists():
        raise SigningError("A deployment CA exists already; it is never replaced.")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, organisation_name)])
    certificate = (
        _builder(name, name, key.public_key(), CA_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write(_ca_location(), Signer(key, certificate, ()))
    return certificate


def ca_certificate() -> x509.Certificate:
    return _read(_ca_location()).certificate


def signer_for(organization_id: int, organisation_name: str) -> Signer:
    """The organisation's uploaded signer, else the one the CA issued it (issued now if new)."""
    location = keys.organization_signer(organization_id)
    if s3.exists(location):
        return _read(location)
    ca = _read(_ca_location())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, organisation_name)])
    certificate = (
        _builder(name, ca.certificate.subject, key.public_key(), SIGNER_YEARS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    signer = Signer(key, certificate, (ca.certificate,))
    _write(location, signer)
    return signer


def upload(organization_id: int, data: bytes, password: str) -> Signer:
    """An admin's own PKCS#12, opened with their password and stored under ours; refused
    with a reason, storing nothing, when the password or the file is wrong."""
    if len(data) > PKCS12_MAX_BYTES:
        raise SigningError("That file is too large to be a PKCS#12 key file.")
    if not _is_pkcs12(data):
        raise SigningError("That file is not a PKCS#12 key file (.p12 or .pfx). Nothing was saved.")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode())
    except ValueError:
        raise SigningError(
            "The password does not open this PKCS#12 file. Nothing was saved."
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) or certificate is None:
        raise SigningError("The file holds no private key with its certificate. Nothing was saved.")
    signer = Signer(key, certificate, tuple(chain or ()))
    _write(keys.organization_signer(organization_id), signer)
    return signer


def stored(organization_id: int) -> x509.Certificate | None:
    """The certificate the organisation signs with now, if it has one (uploaded or issued)."""
    location = keys.organization_signer(organization_id)
    return _read(location).certificate if s3.exists(location) else None


def ready(organization_id: int) -> bool:
    """Whether it can sign: a key of its own, or a deployment CA to issue it one."""
    return s3.exists(keys.organization_signer(organization_id)) or _ca_exists()


def _is_pkcs12(data: bytes) -> bool:
    """A DER PFX structure (RFC 7292), told apart from a wrong password before any is tried."""
    try:
        asn1_pkcs12.Pfx.load(data, strict=True)["auth_safe"].native  # noqa: B018
    except (ValueError, TypeError):
        return False
    return True


def _builder(subject, issuer, public_key, years: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    """A signer signs documents (non-repudiation, which validators ask of document signers);
    the CA signs certificates only."""
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=not cert_sign,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _passphrase() -> bytes:
    secret = current_app.config["SIGNING_PASSPHRASE"]
    if not secret:
        raise SigningError("SIGNING_PASSPHRASE is not set: signing keys cannot be opened.")
    return secret.encode()


def _ca_location() -> str | Path:
    path = current_app.config["SIGNING_CA_PATH"]
    return Path(path) if path else keys.signing_ca()


def _ca_exists() -> bool:
    location = _ca_location()
    return location.exists() if isinstance(location, Path) else s3.exists(location)


def _write(location: str | Path, signer: Signer) -> None:
    data = pkcs12.serialize_key_and_certificates(
        b"sitepack", signer.key, signer.certificate, list(signer.chain) or None,
        BestAvailableEncryption(_passphrase()),
    )  # fmt: skip
    if isinstance(location, Path):
        location.parent.mkdir(parents=True, exist_ok=True)
        location.write_bytes(data)
        location.chmod(0o600)
    else:
        s3.put_bytes(location, data, "application/x-pkcs12")


def _read(location: str | Path) -> Signer:
    try:
        data = location.read_bytes() if isinstance(location, Path) else s3.get_bytes(location)
    except (FileNotFoundError, s3.ObjectMissing):
        raise SigningError("No deployment CA: run `flask signing init` first.") from None
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, _passphrase())
    except ValueError:
        raise SigningError("SIGNING_PASSPHRASE does not open the stored signing keys.") from None
    return Signer(key, certificate, tuple(chain or ()))
