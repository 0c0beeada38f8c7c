"""`flask storage ...`: bucket set-up and checks."""

import click
from flask.cli import AppGroup

storage_group = AppGroup("storage", help="Bucket set-up and checks.")


@storage_group.command("ensure")
def ensure():
    """Create the bucket and apply its rules."""
    raise click.ClickException("not built yet")
