"""The state machine's policy, walked through every door over HTTP.

For every (state, action, person) the answer of the portal's routes, the admin's routes, the
API's routes (/api/v1, with the person's key) and the buttons each page offers must match
`portal.exports.states`: a state or action added
there without the rest, or a door that decides on its own, fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.exports import states
from portal.exports.states import Action, Role
from portal.extensions import db
from portal.models import Export, ExportStatus, User, utcnow
from tests import factories
from tests.helpers import csrf

# The row each state is built from; "expired by time" is a completed row past expires_at,
# which every door must treat exactly like an expired one.
ROWS = {
    "pending": {"status": ExportStatus.PENDING},
    "processing": {"status": ExportStatus.PROCESSING, "done": 1, "heartbeat_at": None},
    "completed": {"status": ExportStatus.COMPLETED},
    "failed": {"status": ExportStatus.FAILED, "error": "Storage could not be reached."},
    "cancelled": {"status": ExportStatus.CANCELLED},
    "expired": {"status": ExportStatus.EXPIRED},
    "expired by time": {"status": ExportStatus.COMPLETED},
    "revoked": {"status": ExportStatus.REVOKED, "revoke_reason": "Sent to the wrong client"},
}
PORTAL_ACTIONS = (Action.CANCEL, Action.RETRY, Action.REORDER, Action.DOWNLOAD)
ADMIN_ACTIONS = (Action.CANCEL, Action.RETRY, Action.REORDER, Action.REVOKE)
PEOPLE = ("requester", "org admin", "staff", "colleague", "other organisation")


@dataclass
class Door:
    client: object
    user: User
    token: str
    api_key: str


def test_every_state_has_a_policy_and_its_moves_are_transitions():
    assert set(states.POLICY) == set(ExportStatus) == set(states.TRANSITIONS)
    for state, allowed in states.POLICY.items():
        for action in allowed:
            target = states.LEADS_TO[action]
            assert target is None or target in states.TRANSITIONS[state], (state, action)
    assert set(states.LIVE) | set(states.TERMINAL) == set(ExportStatus)


ALL, ADMINS = {"requester", "org_admin", "staff"}, {"org_admin", "staff"}
# The policy the team decided, written out by hand so that a changed entry in states.POLICY
# is a decision this test makes someone take: a failed export is retried (never re-ordered);
# a revoked one is re-ordered only by an admin, who knows why it was withdrawn; a completed
# one is shared outside by its requester or an org admin, never by Sitepack's staff; what
# failed in a ready or expired one is redone by anyone who sees it, in a revoked one by admins.
DECIDED = {
    "pending": {"cancel": ALL},
    "processing": {"cancel": ALL},
    "completed": {
        "download": ALL,
        "revoke": ADMINS,
        "share": {"requester", "org_admin"},
        "redo": ALL,
    },
    "failed": {"retry": ALL},
    "cancelled": {"reorder": ALL},
    "expired": {"reorder": ALL, "redo": ALL},
    "revoked": {"reorder": ADMINS, "redo": ADMINS},
}


def test_the_policy_is_the_one_the_team_decided():
    as_built = {
        state.value: {
            action.value: {role.value for role in roles} for action, roles in rules.items()
        }
        for state, rules in states.POLICY.items()
    }
    assert as_built == DECIDED


@pytest.fixture
def doors(app, world) -> dict[str, Door]:
    """One logged-in browser per person; the staff member belongs to no customer org."""
    ops = factories.organization("Sitepack")
    people = {
        "requester": world.member_a,
        "org admin": world.admin_a,
        "staff": factories.user(ops, "ops@sitepack.test", is_staff=True),
        "colleague": factories.user(world.org_a, "colleague@acme.test"),
        "other organisation": world.member_b,
    }
    db.session.commit()
    result = {}
    for name, user in people.items():
        client = app.test_client()
        factories.login(client, user.email)
        result[name] = Door(client, user, csrf(client), factories.api_key(user))
    return result


def build(world, state: str) -> Export:
    """An export of org A's member in `state`, with two records (so a re-order has some)."""
    now = utcnow()
    values = {"finished_at": now, "expires_at": now + timedelta(days=7), **ROWS[state]}
    if state in ("expired by time", "expired"):
        values["expires_at"] = now - timedelta(hours=1)
    status = values.pop("status")
    return factories.export_in(status, world.member_a, world.project_a, records=2, **values)


def role(door: Door, export: Export) -> Role | None:
    return states.role_of(door.user, export)


def expected_portal(door: Door, export: Export, action: Action) -> int:
    """404 unless the export is in the person's organisation and theirs (or they admin it)."""
    who = role(door, export) if door.user.organization_id == export.organization_id else None
    if who is None:
        return 404
    state = states.effective(export)
    if states.allows(state, action, who):
        return 302 if action == Action.DOWNLOAD else 303
    if states.allowed_by_anyone(state, action):
        return 403
    return 410 if action == Action.DOWNLOAD and state in states.GONE else 409


# What /api/v1 answers an accepted action with: the export (a retried or re-ordered one is
# queued again: 202), or a download's redirect.
API_ACCEPTED = {Action.CANCEL: 200, Action.RETRY: 202, Action.REORDER: 202, Action.DOWNLOAD: 302}


def expected_api(door: Door, export: Export, action: Action) -> int:
    """The portal's answer, in the API's words: the same refusals, as problem documents."""
    status = expected_portal(door, export, action)
    return API_ACCEPTED[action] if status in (302, 303) else status


def expected_admin(door: Door, export: Export, action: Action) -> int:
    who = role(door, export)
    if who not in states.ADMINS:
        return 404
    return 303 if states.allows(states.effective(export), action, who) else 409


def portal_request(door: Door, export: Export, action: Action):
    url = f"/exports/{export.public_id}/{action}"
    if action == Action.DOWNLOAD:
        return door.client.get(url)
    return door.client.post(url, data={"csrf_token": door.token})


def admin_request(door: Door, export: Export, action: Action):
    url = f"/admin/exports/{export.public_id}/{action}"
    return door.client.post(url, data={"csrf_token": door.token, "confirmed": "yes"})


def api_request(door: Door, export: Export, action: Action):
    url = f"/api/v1/exports/{export.public_id}/{action}"
    headers = factories.bearer(door.api_key)
    if action == Action.DOWNLOAD:
        return door.client.get(url, headers=headers)
    return door.client.post(url, headers=headers)


def export_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Export))


def assert_outcome(export: Export, before: ExportStatus, action: Action, status: int, count: int):
    """An accepted action moves the row as the table says; a refused one changes nothing."""
    db.session.expire_all()
    row = db.session.get(Export, export.id)
    accepted = status in (200, 202, 302, 303)
    target = states.LEADS_TO[action] if accepted else None
    assert row.status == (target or before), (action, status)
    new_rows = export_count() - count
    assert new_rows == (1 if accepted and action == Action.REORDER else 0), (action, status)


# Each door: the actions it has, what the table says it must answer, and how it is knocked on.
DOORS = {
    "portal": (PORTAL_ACTIONS, expected_portal, portal_request),
    "admin": (ADMIN_ACTIONS, expected_admin, admin_request),
    "api": (PORTAL_ACTIONS, expected_api, api_request),
}


@pytest.mark.parametrize("door_name", list(DOORS))
@pytest.mark.parametrize("state", list(ROWS))
def test_every_door_answers_as_the_policy_says(app, world, doors, state, door_name):
    actions, expected, knock = DOORS[door_name]
    for person in PEOPLE:
        door = doors[person]
        for action in actions:
            export = build(world, state)
            want, before, count = expected(door, export, action), export.status, export_count()
            got = knock(door, export, action).status_code
            assert got == want, (state, person, action)
            assert_outcome(export, before, action, got, count)


def offered_on_status_page(html: str, export: Export) -> set[Action]:
    base = f"/exports/{export.public_id}/"
    found = set(re.findall(rf'(?:action|href)="{re.escape(base)}(\w+)"', html))
    return {Action(name) for name in found if name in set(Action)}


def offered_on_admin_page(html: str, export: Export) -> set[Action]:
    found = re.findall(rf"/admin/exports/{re.escape(export.public_id)}/confirm/(\w+)", html)
    return {Action(name) for name in found}


@pytest.mark.parametrize("state", list(ROWS))
def test_pages_offer_exactly_the_allowed_actions(app, world, doors, state):
    export = build(world, state)
    effective = states.effective(export)
    for person in ("requester", "org admin"):
        door = doors[person]
        page = door.client.get(f"/exports/{export.public_id}")
        assert page.status_code == 200
        allowed = {a for a in PORTAL_ACTIONS if states.allows(effective, a, role(door, export))}
        assert offered_on_status_page(page.get_data(as_text=True), export) == allowed, person
    for person in ("org admin", "staff"):
        door = doors[person]
        page = door.client.get(f"/admin/exports/{export.public_id}")
        assert page.status_code == 200
        allowed = {a for a in ADMIN_ACTIONS if states.allows(effective, a, role(door, export))}
        assert offered_on_admin_page(page.get_data(as_text=True), export) == allowed, person
