"""The `make run` steps between "services started" and "web app serving" (Procfile.dev `web`).

Leave this run's settings in .flaskenv for the `flask` command, migrate, make sure the bucket
exists, seed only an empty database (so a second `make run` keeps what you did), then say
where to go, how to log in and which Redis holds the jobs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from portal import config as settings
from portal import create_app
from portal.extensions import db
from portal.models import Organization
from scripts.services import OWN_REDIS_DIR, own_redis, wait_for_services

FLASK_ENV_FILE = settings.INSTANCE_DIR.parent / ".flaskenv"
# What run.sh decides rather than leaves to .env or the defaults, which `flask` reads too.
RUN_SETTINGS = ("SITEPACK_ENV", "REDIS_URL", "S3_LOCAL_ROOT")

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


def write_flask_env(path: Path, environ: Mapping[str, str]) -> None:
    """The `flask` command loads .flaskenv (python-dotenv): the README's commands, typed in
    another terminal, then run with this run's settings instead of stopping at SECRET_KEY."""
    lines = [f"{name}='{environ[name]}'" for name in RUN_SETTINGS if environ.get(name)]
    header = "# Written by `make run` (scripts/dev_setup.py) for the `flask` command, every run."
    path.write_text("\n".join([header, *lines]) + "\n")


def database_is_empty(app: Flask) -> bool:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Organization)) == 0


def redis_line(url: str, data_dir: Path = OWN_REDIS_DIR) -> str:
    if own_redis(url, data_dir):
        return f"Redis: {url}, make run's own (data in var/redis; set REDIS_URL to use another)"
    return f"Redis: {url}, from REDIS_URL (jobs this run enqueues stay there)"


def banner(base_url: str, redis_url: str) -> str:
    width = max(len(email) for email, _ in DEMO_LOGINS)
    logins = "\n".join(f"    {email:<{width}}  {who}" for email, who in DEMO_LOGINS)
    return (
        f"\n  Sitepack is starting on {base_url}\n"
        f"  Log in with one of these (password {DEMO_PASSWORD}):\n{logins}\n"
        f"  Mail the app sends: {base_url}/dev/mail\n"
        f"  {redis_line(redis_url)}\n"
        "  Ctrl-C stops everything.\n"
    )


def main() -> int:
    write_flask_env(FLASK_ENV_FILE, os.environ)
    wait_for_services()
    flask("db", "upgrade")
    flask("storage", "ensure")
    app = create_app()
    if database_is_empty(app):
        flask("seed")
    else:
        print("Database already has data: not seeding (delete instance/sitepack.db to start over)")
    print(banner(app.config["PUBLIC_BASE_URL"], app.config["REDIS_URL"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
