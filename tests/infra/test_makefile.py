"""`make` and CI, run for real on a copy of the Makefile whose programs only log their calls:
which programs run, with what, and when the install stamps spare a second pip install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_STAMP = Path(".venv") / ".installed-requirements-dev"
# Stands in for a program: logs its working folder, the TEST_DATABASE_URL it was given and
# its arguments (one call a line, fields split by \x1f), then exits with FAKE_EXIT.
FAKE_PROGRAM = r"""#!/usr/bin/env bash
printf '%s\x1f' "$PWD" "${TEST_DATABASE_URL-<unset>}" "$@" >> "$(dirname "$0")/calls.log"
printf '\n' >> "$(dirname "$0")/calls.log"
exit "${FAKE_EXIT:-0}"
"""


def fake_program(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FAKE_PROGRAM)
    path.chmod(0o755)


def calls(bin_dir: Path) -> list[tuple[str, str, list[str]]]:
    """(working folder, TEST_DATABASE_URL, arguments) of each call the fakes in bin_dir logged."""
    log = bin_dir / "calls.log"
    rows = [line.split("\x1f") for line in log.read_text().splitlines()] if log.exists() else []
    return [(row[0], row[1], row[2:-1]) for row in rows]


@pytest.fixture
def sandbox(tmp_path) -> Path:
    """The Makefile and requirements files in a temp folder whose .venv/bin/python only logs."""
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    fake_program(tmp_path / ".venv" / "bin" / "python")
    return tmp_path


def make(folder: Path, target: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **env},
    )


def pip_installs(folder: Path) -> list[list[str]]:
    return [a for _, _, a in calls(folder / ".venv" / "bin") if a[:3] == ["-m", "pip", "install"]]


def test_quick_tests_run_pytest_on_sqlite_without_the_browser(sandbox):
    result = make(sandbox, "test-quick", TEST_DATABASE_URL="postgresql://elsewhere/db")
    assert result.returncode == 0, result.stderr
    runs = [(db, args) for _, db, args in calls(sandbox / ".venv" / "bin") if "pytest" in args]
    assert runs == [("<unset>", ["-m", "pytest", "-m", "not browser"])]


def test_dev_requirements_install_once_then_again_only_when_a_requirements_file_changes(
    sandbox,
):
    assert make(sandbox, "test-quick").returncode == 0
    assert [args[-1] for args in pip_installs(sandbox)] == ["requirements-dev.txt"]
    assert make(sandbox, "test-quick").returncode == 0
    assert len(pip_installs(sandbox)) == 1  # the stamp is fresh: no second install
    later = (sandbox / DEV_STAMP).stat().st_mtime + 10
    os.utime(sandbox / "requirements.txt", (later, later))
    assert make(sandbox, "test-quick").returncode == 0
    assert len(pip_installs(sandbox)) == 2


def test_a_failed_install_leaves_no_stamp_so_the_next_run_installs_again(sandbox):
    assert make(sandbox, "test-quick", FAKE_EXIT="1").returncode != 0
    assert not (sandbox / DEV_STAMP).exists()
    assert make(sandbox, "test-quick").returncode == 0
    assert len(pip_installs(sandbox)) == 2


def test_lint_fails_on_unformatted_code_and_leaves_it_as_it_was(sandbox):
    (sandbox / ".venv" / "bin" / "ruff").symlink_to(Path(sys.executable).parent / "ruff")
    (sandbox / DEV_STAMP).touch()
    (sandbox / "tidy.py").write_text('print("formatted")\n')
    assert make(sandbox, "lint").returncode == 0
    messy = "print( 'not formatted' )\n"
    (sandbox / "messy.py").write_text(messy)
    result = make(sandbox, "lint")
    assert result.returncode != 0
    assert "messy.py" in result.stdout + result.stderr
    assert (sandbox / "messy.py").read_text() == messy


def test_ci_runs_make_test_from_the_repository_root_and_fails_when_it_fails(tmp_path):
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    fake_program(bin_dir / "make")
    result = subprocess.run(
        [str(tmp_path / ".ci" / "run")],
        cwd=bin_dir,
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_EXIT": "3"},
    )
    assert result.returncode == 3
    assert [(cwd, args) for cwd, _, args in calls(bin_dir)] == [(str(tmp_path), ["test"])]
