"""Signing a handover PDF in place (PAdES B-B, with a visible block naming the organisation
and the time, drawn by jobs/index_pdf.py) and checking a signed file's chain offline against
the deployment CA.

Record PDFs are never signed: their bytes stay reproducible and the Verify page vouches for
them. What is signed is the index and the combined PDF of an export, made once per export.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers import constants
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from portal.signing.certificates import Signer

FIELD = "Sitepack"


def sign_file(path: Path, signer: Signer, box: tuple, face: Path) -> None:
    """Signs the file in place, as an incremental update: pyHanko reads the objects it needs
    and hashes the file in chunks, so a volume of any size is never held in memory. The
    visible signature is `face`'s first page (drawn by the caller, fonts embedded, so a
    PDF/A file stays one) stamped into `box` on the first page."""
    stamp = StaticStampStyle.from_pdf_file(str(face), border_width=0)
    with path.open("r+b") as file:
        writer = IncrementalPdfFileWriter(file)
        _apart(_signer(signer, box, stamp).sign_pdf, writer, in_place=True)


def _signer(signer: Signer, box: tuple, stamp: StaticStampStyle) -> signers.PdfSigner:
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    field = fields.SigFieldSpec(FIELD, on_page=0, box=box)
    return _PdfSigner(meta, _pyhanko(signer), stamp_style=stamp, new_field_spec=field)


class _PdfSigner(signers.PdfSigner):
    def register_extensions(self, pdf_out, *, md_algorithm: str) -> None:
        """PAdES's ESIC extension on PDF 1.7, as pyHanko declares it, and no more: for an
        ECDSA key on P-256 pyHanko would also declare ISO 32002 and raise the file to PDF
        2.0, which a PDF/A-3 file (PDF 1.7 at most) may not be. PDF 1.7 validators check
        ECDSA PAdES signatures as they are (ETSI EN 319 142-1)."""
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(constants.ESIC_EXTENSION_1)


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
        status = _apart(validate_pdf_signature, embedded, context)
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


def _apart(call, *args, **kwargs):
    """pyHanko's calls run its coroutines with asyncio.run, which refuses a thread whose event
    loop is running (a worker's has none; a process using Playwright's sync API or an async
    server does): a thread of their own always has none."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(call, *args, **kwargs).result()


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
