"""Rules written once: the source is read as text and as syntax, so a second copy of a rule
fails here before it can drift from the first (DESIGN.md, "one rule, one place")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from portal.models.lengths import PUBLIC_ID_MAX
from portal.tenancy import PUBLIC_ID
from portal.vocabulary import ADMIN_ROLE, CHECK_LABELS, KIND_LABELS, STATUS_LABELS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path for folder in ("portal", "jobs", "bench") for path in (ROOT / folder).rglob("*.py")
)


def where(found) -> list[str]:
    return sorted(str(path.relative_to(ROOT)) for path in found)


def functions_named(path: Path, name: str) -> list[ast.FunctionDef]:
    """Definitions whose name contains `name` (a private `_css_token` counts too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and name in node.name
    ]


def test_there_is_exactly_one_css_token():
    found = [path for path in SOURCES for _ in functions_named(path, "css_token")]
    assert where(found) == ["portal/vocabulary.py"]


def string_constants(path: Path) -> set[str]:
    """Every string constant in the file, however it is quoted, f-strings' pieces included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def keywords(path: Path) -> set[str]:
    """The names of every keyword argument passed in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return {node.arg for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg}


def called_methods(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


@pytest.mark.parametrize(
    "label", sorted({*KIND_LABELS.values(), *STATUS_LABELS.values(), *CHECK_LABELS.values()})
)
def test_every_label_is_written_only_in_the_vocabulary(label):
    found = [path for path in SOURCES if label in string_constants(path)]
    assert where(found) == ["portal/vocabulary.py"]


def test_the_public_id_pattern_is_built_from_the_column_length():
    found = [path for path in SOURCES if "{8,32}" in path.read_text()]
    assert where(found) == []
    assert PUBLIC_ID.fullmatch("a" * PUBLIC_ID_MAX)
    assert not PUBLIC_ID.fullmatch("a" * (PUBLIC_ID_MAX + 1))


# Strings equal to the role's value that name something else.
NOT_THE_ROLE = {"portal/admin/views.py"}  # the admin console's blueprint is called "admin"


def test_the_admin_role_is_spelt_only_in_the_vocabulary():
    found = [path for path in SOURCES if ADMIN_ROLE in string_constants(path)]
    assert set(where(found)) - NOT_THE_ROLE == {"portal/vocabulary.py"}


def test_links_are_built_only_by_the_url_module():
    """The setting is read only there (config.py defines it), and no link is made from the
    request's host, which `url_for(..., _external=True)` would do."""
    read = [path for path in SOURCES if "PUBLIC_BASE_URL" in string_constants(path)]
    # The rehearsal sets it in its hosts' environment, as a deployment does; it builds no link.
    assert where(read) == ["bench/rehearsal/hosts.py", "portal/config.py", "portal/urls.py"]
    external = [path for path in SOURCES if "_external" in keywords(path)]
    assert where(external) == []


ENQUEUERS = {"enqueue", "enqueue_call", "enqueue_in", "enqueue_at", "enqueue_job", "create"}


def test_job_ids_are_built_and_jobs_enqueued_only_in_the_queues_module():
    ids = [path for path in SOURCES if "job_id" in keywords(path)]
    assert where(ids) == ["portal/queues.py"]
    enqueuing = [path for path in SOURCES if ENQUEUERS & called_methods(path)]
    assert where(enqueuing) == ["portal/queues.py"]
