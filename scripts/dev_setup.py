"""The `make run` steps between "services started" and "web app serving" (Procfile.dev `web`).

Migrate, make sure the bucket exists, seed only an empty database (so a second `make run`
keeps what you did), then say where to go and how to log in.
"""

from __future__ import annotations

import subprocess
import sys

from flask import Flask
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models import Organization
from scripts.services import wait_for_services

DEMO_PASSWORD = "sitepack-demo"
DEMO_LOGINS = [
    ("admin@northwind.test", "admin of Northwind (/admin)"),
    ("member@northwind.test", "member of Northwind"),
    ("member@bravo.test", "member of Bravo (another organisation: sees none of Northwind)"),
    ("ops@sitepack.test", "Sitepack staff (/admin, every organisation)"),
]


def flask(*args: str) -> None:
    """Run a step as the `flask` command a person would type; stop `make run` if it fails."""
    command = f"flask --app wsgi {' '.join(args)}"
    print(f"$ {command}", flush=True)
    if subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args]).returncode != 0:
        raise SystemExit(f"make run stopped: `{command}` failed (its output is above)")


def database_is_empty(app: Flask) -> bool:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Organization)) == 0


def banner(base_url: str) -> str:
    width = max(len(email) for email, _ in DEMO_LOGINS)
    logins = "\n".join(f"    {email:<{width}}  {who}" for email, who in DEMO_LOGINS)
    return (
        f"\n  Sitepack is starting on {base_url}\n"
        f"  Log in with one of these (password {DEMO_PASSWORD}):\n{logins}\n"
        f"  Mail the app sends: {base_url}/dev/mail\n"
        "  Ctrl-C stops everything.\n"
    )


def main() -> int:
    wait_for_services()
    flask("db", "upgrade")
    flask("storage", "ensure")
    app = create_app()
    if database_is_empty(app):
        flask("seed")
    else:
        print("Database already has data: not seeding (delete instance/sitepack.db to start over)")
    print(banner(app.config["PUBLIC_BASE_URL"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
