"""An export's states are spelt in the model's enum and read through it or through states.py:
a bare "completed" elsewhere is a second copy of the state machine that drifts from the first
(STYLE.md, principle 13). Read from the syntax, so any quoting and any f-string counts."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.models import ExportStatus

ROOT = Path(__file__).resolve().parents[2]
OWNERS = {"portal/models/exports.py", "portal/exports/states.py"}
# (file, value) of a string equal to a state's value without being the state, with the reason.
# None today: `MailKind.READY` is "ready", the webhook events are "export.completed" and so on.
NOT_A_STATE: dict[tuple[str, str], str] = {}


def state_literals(source: str) -> set[tuple[int, str]]:
    """(line, value) of every string constant in the source equal to a state's value."""
    values = {str(status) for status in ExportStatus}
    return {
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values
    }


def test_no_state_is_spelt_outside_the_model_and_the_state_machine():
    found = set()
    for path in sorted(p for folder in ("portal", "jobs") for p in (ROOT / folder).rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if name not in OWNERS:
            found |= {
                (name, line, value)
                for line, value in state_literals(path.read_text())
                if (name, value) not in NOT_A_STATE
            }
    assert found == set()


def test_the_walk_sees_a_state_in_any_quoting():
    source = "a = 'failed'\nb = f'{x}' == \"\"\"completed\"\"\"\nc = 'pending!'\n"
    assert state_literals(source) == {(1, "failed"), (2, "completed")}
