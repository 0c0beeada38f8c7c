"""Signing a handover PDF (PAdES B-B, with a visible block naming the organisation and the
time) and checking a signed file's chain offline against the deployment CA.

Record PDFs are never signed: their bytes stay reproducible and the Verify page vouches for
them. What is signed is the index and the combined PDF of an export, made once per export.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from portal.signing.certificates import Signer

FIELD = "Sitepack"
# The visible block, in PDF points from the first page's lower left corner (A4 and Letter).
BLOCK = (360, 40, 560, 100)
STAMP = TextStampStyle(stamp_text="Signed by %(signer)s\n%(ts)s", border_width=1)


def sign(pdf: bytes, signer: Signer) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    field = fields.SigFieldSpec(FIELD, on_page=0, box=BLOCK)
    pdf_signer = signers.PdfSigner(meta, _pyhanko(signer), stamp_style=STAMP, new_field_spec=field)
    return pdf_signer.sign_pdf(writer).getvalue()


@dataclass(frozen=True)
class Check:
    intact: bool  # the signed bytes are unchanged and the signature matches them
    trusted: bool  # the signer's chain ends at the deployment CA
    valid: bool  # pyHanko's bottom line: both, and nothing added after signing that matters
    signer: str
    signed_at: str


def check(pdf: bytes, ca: x509.Certificate) -> list[Check]:
    """Each signature of the file, validated offline with the CA as the only trust root."""
    context = ValidationContext(trust_roots=[_asn1_cert(ca)], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(pdf))
    found = []
    for embedded in reader.embedded_signatures:
        status = validate_pdf_signature(embedded, context)
        when = embedded.self_reported_timestamp
        found.append(
            Check(
                status.intact and status.valid,
                status.trusted,
                status.bottom_line,
                status.signing_cert.subject.native.get("common_name", ""),
                when.isoformat() if when else "",
            )
        )
    return found


def _pyhanko(signer: Signer) -> signers.SimpleSigner:
    key = signer.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    chain = [_asn1_cert(c) for c in signer.chain]
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(signer.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def _asn1_cert(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
