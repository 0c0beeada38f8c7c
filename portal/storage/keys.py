"""Every object key in the bucket is built and parsed here, and nowhere else.

The prefixes are what the bucket's lifecycle rules, the reconciler and the sweeper select
on, so a key's shape is a contract: change it here and every reader follows.

    attachments/<organisation>/<record public id>/<attachment public id>/<file name>
    attachments/<organisation>/<record public id>/signature-<sha256>.png   its sign-off's
    exports/<organisation>/<export public id>/attempt-<n>/<file name>
    bundles/<days>d/<organisation>/<namespace>/<export public id>/attempt-<n>/<file name>
                                                  a link bundle's zips: one lifecycle rule per
                                                  day count; the namespace is per API key
    renders/<organisation>/<fingerprint>.pdf      the render cache, content-addressed
    branding/<organisation>/logo-<sha256>.png     an organisation's logo, as Sitepack drew it
    signing/ca.p12                                the deployment CA (when not on a path)
    signing/organisations/<organisation>.p12      an organisation's signing key
"""

from __future__ import annotations

import hashlib
import math

ATTACHMENTS = "attachments/"
EXPORTS = "exports/"
RENDERS = "renders/"
BUNDLES = "bundles/"
BRANDING = "branding/"
ZIP_PREFIXES = (EXPORTS, BUNDLES)  # what reconcile and the upload sweeper look under
PORTAL_NAMESPACE = "portal"  # the bundles made in the portal rather than with an API key
RENDITION_NAME = "rendition.jpg"
ATTEMPT_FOLDER = "attempt-"  # then the attempt's number: every attempt writes its own keys


def attachment_folder(organization_id: int, record_public_id: str, attachment_id: str) -> str:
    return f"{ATTACHMENTS}{organization_id}/{record_public_id}/{attachment_id}/"


def signature(organization_id: int, record_public_id: str, sha256: str) -> str:
    """A record's sign-off signature as Sitepack redrew it; named by its digest, so a PDF
    being rendered from the record's previous version still finds the one it shows."""
    return f"{ATTACHMENTS}{organization_id}/{record_public_id}/signature-{sha256}.png"


def original(folder: str, safe_name: str) -> str:
    """The photo as uploaded, under its cleaned file name."""
    return f"{folder}{safe_name}"


def rendition(folder: str) -> str:
    """The report-size JPEG made once at ingest."""
    return f"{folder}{RENDITION_NAME}"


def zip_folder(
    organization_id: int, export_public_id: str, ttl_hours: int | None = None, namespace: str = ""
) -> str:
    """The folder every attempt of one export writes its zips under: a bundle's (it has a
    lifetime) under the prefix whose lifecycle rule matches that lifetime, in its namespace."""
    if ttl_hours is None:
        return f"{EXPORTS}{organization_id}/{export_public_id}/"
    prefix = bundle_prefix(bundle_days(ttl_hours))
    return f"{prefix}{organization_id}/{namespace}/{export_public_id}/"


def export_zip(organization_id: int, export_public_id: str, attempt: int, filename: str) -> str:
    """Each attempt writes under its own folder, so a superseded attempt can never overwrite
    (or delete) the zip of the attempt that replaced it."""
    return f"{zip_folder(organization_id, export_public_id)}{ATTEMPT_FOLDER}{attempt}/{filename}"


def bundle_days(ttl_hours: int) -> int:
    """The day count in a bundle's prefix: its lifetime in whole days, rounded up."""
    return math.ceil(ttl_hours / 24)


def bundle_prefix(days: int) -> str:
    """What the lifecycle rule expiring bundles after `days` days selects on."""
    return f"{BUNDLES}{days}d/"


def api_key_namespace(stored_hash: str) -> str:
    """A bundle's namespace for the API key whose stored hash this is: never the key itself."""
    return hashlib.sha256(stored_hash.encode()).hexdigest()[:16]


def bundle_zip(
    ttl_hours: int,
    organization_id: int,
    namespace: str,
    export_public_id: str,
    attempt: int,
    filename: str,
) -> str:
    """Like `export_zip`, under the prefix whose lifecycle rule matches the bundle's lifetime."""
    folder = zip_folder(organization_id, export_public_id, ttl_hours, namespace)
    return f"{folder}{ATTEMPT_FOLDER}{attempt}/{filename}"


def export_of(key: str) -> str | None:
    """The export public id an `exports/` or `bundles/` key belongs to, or None for any other."""
    parts = key.split("/")
    if key.startswith(EXPORTS) and len(parts) > 3:
        return parts[2]
    if key.startswith(BUNDLES) and len(parts) > 5:
        return parts[4]
    return None


def attempt_of(key: str) -> int | None:
    """The attempt number an `exports/` or `bundles/` zip key was written by, or None."""
    if export_of(key) is None:
        return None
    folder = key.split("/")[-2]
    number = folder.removeprefix(ATTEMPT_FOLDER)
    written = folder.startswith(ATTEMPT_FOLDER) and number.isascii() and number.isdigit()
    return int(number) if written else None


def rendered_pdf(organization_id: int, fingerprint: str) -> str:
    """A record's cached PDF. The organisation is part of the key as well as of the
    fingerprint, so no listing, lifecycle rule or bug can serve one tenant another's PDF."""
    return f"{RENDERS}{organization_id}/{fingerprint}.pdf"


def logo(organization_id: int, sha256: str) -> str:
    """Content-addressed, so a PDF being rendered while the logo changes still finds the logo
    its fingerprint names; no lifecycle rule reaches this prefix."""
    return f"{BRANDING}{organization_id}/logo-{sha256}.png"


SIGNING = "signing/"


def signing_ca() -> str:
    """The deployment CA (`flask signing init`), a PKCS#12 under SIGNING_PASSPHRASE, when
    SIGNING_CA_PATH does not put it on a disk instead."""
    return f"{SIGNING}ca.p12"


def organization_signer(organization_id: int) -> str:
    """The organisation's signing key and certificate, issued by the CA or uploaded by an
    admin, re-encrypted under SIGNING_PASSPHRASE."""
    return f"{SIGNING}organisations/{organization_id}.p12"
