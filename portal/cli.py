"""The `flask ...` commands: each area registers its own group."""

from flask import Flask


def register(app: Flask) -> None:
    from portal.exports.cli import exports_group
    from portal.renders.cli import renders_group
    from portal.schedules.cli import schedules_group
    from portal.seed import seed_command
    from portal.signing.cli import signing_group
    from portal.storage.cli import storage_group

    app.cli.add_command(seed_command)
    app.cli.add_command(storage_group)
    app.cli.add_command(exports_group)
    app.cli.add_command(renders_group)
    app.cli.add_command(schedules_group)
    app.cli.add_command(signing_group)
