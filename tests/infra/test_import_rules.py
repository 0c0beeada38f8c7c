"""The boundary between web and worker, read from the source: a job writes through the fenced
layer and reads the chunk protocol, and never calls the code that answers a person's request
(STYLE.md, principle 15)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What jobs/ may import from portal/exports/: the fenced writes and their plain values.
WORKER_SIDE = {
    "portal.exports.attempts",  # a worker's fenced writes to its export
    "portal.exports.chunks",  # the chunk protocol: plan, claim, beat, finish
    "portal.exports.options",  # what the export was asked for (a leaf)
    "portal.exports.mail_outbox",  # the emails the row owes
    "portal.exports.endings",  # how a completed export ends
    "portal.exports.leftovers",  # aborting the uploads of superseded attempts
    "portal.exports.upkeep",  # the sweeper's pass (`flask exports sweep` runs it too)
    "portal.exports.wording",  # how an export is named and counted (a leaf): the zip's name
}
WEB_FACING = ("portal.exports.service", "portal.api")


def imported_by(path: Path) -> set[str]:
    """Every module a file imports, `from a import b` counted as `a.b` when b is a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if is_module(name)}


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def job_imports() -> dict[str, set[str]]:
    return {path.name: imported_by(path) for path in sorted((ROOT / "jobs").glob("*.py"))}


def test_no_job_imports_the_web_service_the_views_or_the_api():
    found = {
        (job, name)
        for job, names in job_imports().items()
        for name in names
        if name.startswith(WEB_FACING) or name.rsplit(".", 1)[-1] == "views"
    }
    assert found == set()


def test_jobs_reach_into_exports_only_through_the_worker_side():
    found = {
        (job, name)
        for job, names in job_imports().items()
        for name in names
        if name.startswith("portal.exports.") and name not in WORKER_SIDE
    }
    assert found == set()


def test_the_worker_side_imports_nothing_web_facing():
    for name in WORKER_SIDE:
        path = ROOT.joinpath(*name.split(".")).with_suffix(".py")
        assert not {n for n in imported_by(path) if n.startswith(WEB_FACING)}, name


def test_the_rule_sees_an_import_of_the_service(tmp_path):
    sample = tmp_path / "job.py"
    sample.write_text("from portal.exports import service\nfrom portal.exports.views import bp\n")
    assert {"portal.exports.service", "portal.exports.views"} <= imported_by(sample)
