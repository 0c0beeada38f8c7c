"""`flask exports ...`: operator commands for exports."""

import click
from flask.cli import AppGroup

exports_group = AppGroup("exports", help="Operate on exports.")


@exports_group.command("sweep")
def sweep():
    """Expire old exports, send expiry warnings, recover lost jobs, abort stale uploads."""
    from jobs.sweep import run_sweep

    for name, count in run_sweep().items():
        click.echo(f"{name.replace('_', ' ')}: {count}")
