"""examples/sitepack_client.py, run from the command line against the real servers (the app
over HTTP, an RQ worker, rclone's S3): it exports, follows, downloads and verifies."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from portal.models import Export
from tests import factories
from tests.helpers import ROOT


def run_client(url: str, secret: str, *args: str, out) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "sitepack_client.py"),
            "--base-url",
            url,
            "--out",
            str(out),
            *args,
        ],
        env={"SITEPACK_API_KEY": secret, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_example_client_exports_and_verifies_every_part(
    world, project_records, worker, live_server, tmp_path
):
    project_records(8, photo_every=4)
    secret = factories.api_key(world.member_a)
    with worker():
        run = run_client(
            live_server,
            secret,
            f"--project={world.project_a.public_id}",  # an id may begin with "-"
            "--kind",
            "issue",
            out=tmp_path,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    export = Export.query.one()
    assert export.total == 2  # the issues among 8 records of four kinds
    [part] = export.parts
    zip_path = tmp_path / part.object_key.rsplit("/", 1)[-1]
    assert hashlib.sha256(zip_path.read_bytes()).hexdigest() == part.sha256
    assert f"{zip_path} verified" in run.stdout


def test_a_refusal_prints_the_problem_and_exits_2(world, live_server, tmp_path):
    reader = factories.api_key(world.member_a, scope="read")
    run = run_client(live_server, reader, f"--project={world.project_a.public_id}", out=tmp_path)
    assert run.returncode == 2
    assert "refused (403)" in run.stderr and "problem-forbidden" in run.stderr
