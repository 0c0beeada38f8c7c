"""The handover PDFs section's forms: what the organisation's exports get by default (archival
record PDFs, signed index and combined PDF), and its own signing key, a PKCS#12 file with
its password (checked by portal/signing/certificates.py, stored nowhere when refused)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField
from wtforms.validators import Length

from portal.exports.options import PdfPolicy
from portal.signing.certificates import PKCS12_MAX_BYTES, SigningError

PASSWORD_MAX = 200


class PdfPolicyForm(FlaskForm):
    archival = BooleanField("Archival record PDFs (PDF/A-3a, accessible) unless an export says")
    signing = BooleanField("Sign each export's index and combined PDF with our certificate")

    @classmethod
    def showing(cls, policy: PdfPolicy) -> PdfPolicyForm:
        return cls(formdata=None, archival=policy.archival, signing=policy.signing)


class SigningKeyForm(FlaskForm):
    key = FileField("Your own signing key (a PKCS#12 file: .p12 or .pfx)")
    password = PasswordField("Its password", validators=[Length(max=PASSWORD_MAX)])

    def key_bytes(self) -> bytes:
        """The uploaded file's bytes; SigningError with the reason when there is none or it
        is too large to be a key file."""
        upload = self.key.data
        if not upload or not getattr(upload, "filename", ""):
            raise SigningError("Choose your PKCS#12 file (.p12 or .pfx).")
        data = upload.stream.read(PKCS12_MAX_BYTES + 1)
        if len(data) > PKCS12_MAX_BYTES:
            raise SigningError("That file is too large to be a PKCS#12 key file.")
        return data
