"""`flask storage ...`: bucket set-up and checks.

`ensure` runs at every release and on every `make run`, so it must be idempotent and must
succeed against the laptop's rclone endpoint, which has no bucket-configuration API.
"""

import click
from botocore.exceptions import ClientError
from flask import current_app
from flask.cli import AppGroup

from portal.storage import client as s3
from portal.storage import reconcile, rules

storage_group = AppGroup("storage", help="Bucket set-up and checks.")


@storage_group.command("ensure")
@click.option("--check", is_flag=True, help="Change nothing; list the drift and exit 1 if any.")
def ensure(check: bool):
    """Create the bucket if missing and apply its lifecycle, encryption and public-access rules."""
    try:
        if check:
            _check()
        else:
            _ensure()
    except rules.UnsupportedEndpointError as exc:
        _warn_unsupported(exc)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise click.ClickException(
            f"S3 refused {exc.operation_name}: {error.get('Code')} {error.get('Message', '')}"
        ) from exc


def _ensure() -> None:
    created = s3.ensure_bucket()
    if created:
        click.echo(f"created bucket {s3.bucket()}")
    todo = rules.plan(rules.read_state())
    rules.apply(todo)
    for finding in todo.findings:
        click.echo(finding.fix)
    if not created and not todo.findings:
        click.echo(f"bucket {s3.bucket()} already as configured")


def _check() -> None:
    todo = rules.plan(rules.read_state())
    if not todo.findings:
        click.echo(f"bucket {s3.bucket()} is as configured")
        return
    for finding in todo.findings:
        click.echo(f"drift: {finding.drift}", err=True)
    raise click.exceptions.Exit(1)


def _warn_unsupported(exc: Exception) -> None:
    endpoint = current_app.config["S3_ENDPOINT_URL"] or "AWS S3"
    click.echo(
        f"warning: {endpoint} does not support bucket configuration ({exc}); lifecycle, "
        "default encryption and public-access block were not applied: configure the "
        "lifecycle on real S3 with `flask storage ensure` there",
        err=True,
    )


@storage_group.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Change nothing; print what would be fixed.")
def reconcile_command(dry_run: bool):
    """Make the bucket agree with the database: delete stray zips, fail rows whose zip is
    missing, abort stale multipart uploads (and delete those a local rclone forgot)."""
    findings = reconcile.run(dry_run=dry_run)
    verb = "would " if dry_run else ""
    for key in findings.stray_objects:
        click.echo(f"{verb}delete stray object {key}")
    for missing in findings.missing:
        keys = ", ".join(part.object_key for part in missing.parts)
        gone = f"its zip {keys} is" if len(missing.parts) == 1 else f"its zips {keys} are"
        click.echo(f"{verb}fail export {missing.export.public_id}: {gone} missing")
    for key, upload_id in findings.uploads.listed:
        click.echo(f"{verb}abort stale multipart upload {upload_id} of {key}")
    for parts in findings.uploads.forgotten:
        click.echo(f"{verb}delete {parts.path} ({parts.size:,} bytes), parts of a forgotten upload")
    if findings.uploads.note:
        click.echo(f"note: {findings.uploads.note}", err=True)
    click.echo(
        f"{'dry run, nothing changed: ' if dry_run else ''}"
        f"stray objects: {len(findings.stray_objects)}, missing zips: {len(findings.missing)}, "
        f"stale uploads: {findings.uploads.count}"
    )
