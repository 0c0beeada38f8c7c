"""`flask seed`: demo organisations, users, projects and records."""

import click


@click.command("seed")
def seed_command():
    """Create demo data."""
    raise click.ClickException("not built yet")
