"""Rules written once: the source is read as text and as syntax, so a second copy of a rule
fails here before it can drift from the first (DESIGN.md, "one rule, one place")."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.models.lengths import PUBLIC_ID_MAX
from portal.tenancy import PUBLIC_ID

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


def test_record_labels_are_written_only_in_the_vocabulary():
    found = [path for path in SOURCES if '"In progress"' in path.read_text()]
    assert where(found) == ["portal/vocabulary.py"]


def test_the_public_id_pattern_is_built_from_the_column_length():
    found = [path for path in SOURCES if "{8,32}" in path.read_text()]
    assert where(found) == []
    assert PUBLIC_ID.fullmatch("a" * PUBLIC_ID_MAX)
    assert not PUBLIC_ID.fullmatch("a" * (PUBLIC_ID_MAX + 1))


def test_the_admin_role_is_spelt_only_in_the_vocabulary():
    found = [path for path in SOURCES if '== "admin"' in path.read_text()]
    assert where(found) == []


def test_links_are_built_only_by_the_url_module():
    found = [path for path in SOURCES if 'config["PUBLIC_BASE_URL"]' in path.read_text()]
    assert where(found) == ["portal/urls.py"]
