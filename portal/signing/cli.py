"""`flask signing init | check FILE | upload`: the deployment CA, checking a signed PDF
offline, and an organisation's own PKCS#12."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.models import Organization
from portal.signing import certificates, pdfs
from portal.signing.certificates import SigningError

signing_group = AppGroup("signing", help="The keys that sign handover PDFs.")


@signing_group.command("init")
def init():
    """Make the deployment CA (once): its key is encrypted under SIGNING_PASSPHRASE and kept
    at SIGNING_CA_PATH or in the bucket, never in the repository."""
    try:
        ca = certificates.init_ca()
    except SigningError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"deployment CA made: {ca.subject.rfc4514_string()}, "
        f"valid to {ca.not_valid_after_utc:%Y-%m-%d}"
    )


@signing_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path):
    """Validate every signature of FILE offline against the deployment CA; exit 1 unless
    each is intact and trusted."""
    try:
        found = pdfs.check(file.read_bytes(), certificates.ca_certificate())
    except SigningError as exc:
        raise click.ClickException(str(exc)) from None
    if not found:
        raise click.ClickException(f"{file.name} carries no signature.")
    for result in found:
        verdict = "valid" if result.valid else "INVALID"
        click.echo(
            f"{verdict}: signed by {result.signer} at {result.signed_at}; "
            f"intact: {_yes(result.intact)}, chain to the deployment CA: {_yes(result.trusted)}"
        )
    if not all(result.valid for result in found):
        raise SystemExit(1)


@signing_group.command("upload")
@click.argument("organization_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.password_option("--password", confirmation_prompt=False, help="The PKCS#12 file's password.")
def upload(organization_id: int, file: Path, password: str):
    """Sign ORGANIZATION_ID's handover PDFs with its own PKCS#12 FILE instead of the CA's."""
    if db.session.get(Organization, organization_id) is None:
        raise click.ClickException(f"No organisation {organization_id}.")
    try:
        signer = certificates.upload(organization_id, file.read_bytes(), password)
    except SigningError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"organisation {organization_id} now signs as {signer.certificate.subject.rfc4514_string()}"
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"
