"""Where an organisation's branding is kept: three columns of its row and, for the logo, one
PNG object named by its digest (keys.logo). `of()` and `logo_bytes()` are what every reader
uses (record PDFs, emails, the export's index); `change()` is the one writer.
"""

from __future__ import annotations

import hashlib

from portal.branding.brand import DEFAULT_ACCENT, Branding
from portal.extensions import db
from portal.models import Organization
from portal.storage import client as s3
from portal.storage import keys


def of(organization: Organization) -> Branding:
    return Branding.from_columns(
        organization.id,
        organization.logo_sha256,
        organization.accent_colour,
        organization.report_footer,
    )


def of_id(organization_id: int) -> Branding:
    return of(db.session.get(Organization, organization_id))


def logo_bytes(branding: Branding) -> bytes | None:
    """The logo PNG, or None when there is none (or its object is gone: the default look)."""
    if branding.logo_key is None:
        return None
    try:
        return s3.get_bytes(branding.logo_key)
    except s3.ObjectMissing:
        return None


def change(
    organization: Organization,
    *,
    accent: str,
    footer: str,
    logo_png: bytes | None = None,
    remove_logo: bool = False,
) -> None:
    """Stores a new logo before the row names it, then sets the columns; the caller commits.
    `accent` must match brand.ACCENT and `footer` be one printable line (the form checks).
    A replaced logo's object stays: a render already under way may still read it."""
    if logo_png is not None:
        sha256 = hashlib.sha256(logo_png).hexdigest()
        s3.put_bytes(keys.logo(organization.id, sha256), logo_png, "image/png")
        organization.logo_sha256 = sha256
    elif remove_logo:
        organization.logo_sha256 = None
    organization.accent_colour = None if accent == DEFAULT_ACCENT else accent
    organization.report_footer = footer
