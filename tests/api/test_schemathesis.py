"""Schemathesis generates requests from the OpenAPI document and sends them to the app on
gunicorn with a valid key: no answer may be a server error or stray from the document.

Real ids (a project, a record's reference, a ready export) are offered to it through a
config file, so most generated requests reach the views' logic instead of a 404. A bounded
number of examples per operation keeps the run near half a minute; the number of cases it
ran is printed (pytest -s) and must not be zero.
"""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import ExportStatus, utcnow
from tests import factories
from tests.servers import VENV_BIN, Gunicorn

MAX_EXAMPLES = 25
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
CONFIG = """
[dictionaries.projects]
values = ["{project}"]
[dictionaries.exports]
values = ["{export}"]
[dictionaries.references]
values = ["{reference}"]
[parameters]
"path.project_id" = {{ dictionary = "projects", probability = 0.8 }}
"body.project" = {{ dictionary = "projects", probability = 0.8 }}
"path.public_id" = {{ dictionary = "exports", probability = 0.8 }}
"path.external_ref" = {{ dictionary = "references", probability = 0.8 }}
"""


@pytest.fixture
def app_overrides():
    return {"EXPORT_RATE_LIMIT": "1000 per minute"}


def known_ids(world) -> dict[str, str]:
    records = factories.records(world.project_a, 5)
    db.session.commit()
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        records=records,
        expires_at=utcnow() + timedelta(days=1),
    )
    return {
        "project": world.project_a.public_id,
        "export": export.public_id,
        "reference": records[0].reference,
    }


def test_the_api_keeps_to_its_document(app, world, sitepack_env, tmp_path, bucket):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(**known_ids(world)))
    secret = factories.api_key(world.member_a)
    env = {**sitepack_env, "EXPORT_RATE_LIMIT": "1000 per minute"}
    with Gunicorn(env) as url:
        run = subprocess.run(
            [
                str(VENV_BIN / "schemathesis"),
                "--config-file",
                str(config),
                "--no-color",
                "run",
                f"{url}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {secret}",
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                "20261202",
                "--workers",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,  # its cache of past failures stays out of the repository
        )
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert cases and int(cases.group(1)) > 0 and cases.group(1) == cases.group(2)
