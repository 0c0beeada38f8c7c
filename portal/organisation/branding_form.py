"""The branding section's form: a logo (checked by portal/branding/logos.py), an accent colour,
a footer line. A field it refuses comes back with the reason; nothing is stored."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from portal.auth.views import PRINTABLE
from portal.branding import logos
from portal.branding.brand import ACCENT, Branding
from portal.models.lengths import REPORT_FOOTER_MAX


class BrandingForm(FlaskForm):
    logo = FileField(f"Logo ({logos.ACCEPTED}, up to {logos.LOGO_MAX_BYTES // 1024} KB)")
    remove_logo = BooleanField("Remove the logo")
    accent = StringField(
        "Accent colour",
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
        validators=[DataRequired(), Regexp(ACCENT.pattern + r"\Z", message="Pick a colour.")],
    )
    footer = StringField(
        "Footer line on every report (company number, address)",
        validators=[
            Length(max=REPORT_FOOTER_MAX),
            Regexp(PRINTABLE, message="Write one line, without control characters."),
        ],
    )

    @classmethod
    def showing(cls, branding: Branding) -> BrandingForm:
        return cls(formdata=None, accent=branding.accent, footer=branding.footer)

    def logo_png(self) -> bytes | None:
        """The PNG to store for the uploaded logo, None when none was chosen; a refused file
        raises ValidationError with the reason (the view shows it on the field)."""
        upload = self.logo.data
        if not upload or not getattr(upload, "filename", ""):
            return None
        data = upload.stream.read(logos.LOGO_MAX_BYTES + 1)
        try:
            return logos.prepared_logo(data)
        except logos.LogoRefused as refused:
            raise ValidationError(str(refused)) from None
