"""The API keys page: a secret shown once and stored only as a hash; revocation by the
member or their organisation's admin; the rest of the world gets 404."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from flask_login import login_user
from sqlalchemy import insert

from portal import formtokens
from portal.api import keys
from portal.extensions import db
from portal.models import ApiKey, KeyScope, utcnow
from tests import factories
from tests.factories import bearer, login
from tests.helpers import csrf, once_form

SECRET = re.compile(r'id="new-key-secret">(sp_[A-Za-z0-9_-]{43})<')


def create_key(client, name="Field app sync", scope="export", expires_on="", hidden=None):
    """POST the form as shown (`hidden`: its hidden fields, read from a fresh page if None)."""
    hidden = hidden or once_form(client, "/settings/api-keys")
    form = {"name": name, "scope": scope, "expires_on": expires_on, **hidden}
    return client.post("/settings/api-keys", data=form)


def test_a_new_keys_secret_is_shown_once_and_stored_only_hashed(client, world):
    login(client, "member@acme.test")
    page = create_key(client).get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    key = ApiKey.query.one()
    assert (key.name, key.scope, key.user_id) == ("Field app sync", "export", world.member_a.id)
    assert key.secret_hash == keys.digest(secret) and secret not in key.secret_hash
    assert secret.startswith(key.prefix) and len(key.prefix) == 15
    again = client.get("/settings/api-keys").get_data(as_text=True)
    assert secret not in again and f"{key.prefix}…" in again
    assert client.get("/api/v1/projects", headers=bearer(secret)).status_code == 200


def test_a_repeated_post_of_the_form_creates_no_second_key_and_shows_no_secret(client, world):
    """A reload of the "shown once" page posts the same form again (same one-time token)."""
    login(client, "member@acme.test")
    hidden = once_form(client, "/settings/api-keys")
    first = create_key(client, hidden=hidden)
    again = create_key(client, hidden=hidden)
    secret = SECRET.search(first.get_data(as_text=True)).group(1)
    key = ApiKey.query.one()
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and "Already created" in page and f"{key.prefix}…" in page
    assert secret not in page and "new-key-secret" not in page
    assert again.headers["Cache-Control"] == "no-store"
    assert create_key(client).status_code == 200  # a form shown afresh makes a new key
    assert ApiKey.query.count() == 2


def test_a_form_without_its_one_time_token_creates_no_key(client, world):
    login(client, "member@acme.test")
    for token in ("", "short", "x" * 42 + "\x00"):
        response = create_key(client, hidden={"csrf_token": csrf(client), "form_token": token})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "reload the page" in page or "control character (U+0000)" in page
    assert ApiKey.query.count() == 0


def test_the_page_is_in_the_navigation_and_never_cached(client, world):
    login(client, "member@acme.test")
    assert 'href="/settings/api-keys"' in client.get("/").get_data(as_text=True)
    response = create_key(client)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_keys_expiry_date_is_stored_as_the_start_of_that_day(client, world):
    login(client, "member@acme.test")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    create_key(client, expires_on=tomorrow)
    expires_at = ApiKey.query.one().expires_at
    assert (expires_at.date().isoformat(), expires_at.time()) == (tomorrow, time.min)


def test_bad_input_creates_no_key(client, world):
    login(client, "member@acme.test")
    cases = [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "tab\x00nul"},
        {"scope": "admin"},
        {"expires_on": date.today().isoformat()},
        {"expires_on": "yesterday"},
    ]
    for case in cases:
        response = create_key(client, **case)
        assert response.status_code == 400, case
        assert "new-key-secret" not in response.get_data(as_text=True)
    no_token = client.post("/settings/api-keys", data={"name": "x", "scope": "read"})
    assert no_token.status_code == 400
    assert ApiKey.query.count() == 0


def test_the_member_revokes_their_key_and_it_stops_working_at_once(client, world):
    secret = factories.api_key(world.member_a)
    key = ApiKey.query.one()
    login(client, "member@acme.test")
    response = client.post(
        f"/settings/api-keys/{key.public_id}/revoke", data={"csrf_token": csrf(client)}
    )
    assert response.status_code == 303
    assert client.get("/api/v1/projects", headers=bearer(secret)).status_code == 401
    db.session.expire_all()
    assert ApiKey.query.one().revoked_by_id == world.member_a.id
    assert "revoked" in client.get("/settings/api-keys").get_data(as_text=True)


def test_an_org_admin_sees_and_revokes_their_organisations_keys(client, world):
    factories.api_key(world.member_a)
    factories.api_key(world.member_b)
    ours, theirs = ApiKey.query.order_by(ApiKey.id).all()
    login(client, "admin@acme.test")
    page = client.get("/settings/api-keys").get_data(as_text=True)
    assert ours.prefix in page and world.member_a.name in page
    assert theirs.prefix not in page
    token = csrf(client)
    assert (
        client.post(
            f"/settings/api-keys/{theirs.public_id}/revoke", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/settings/api-keys/{ours.public_id}/revoke", data={"csrf_token": token}
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert ours.revoked_at is not None and theirs.revoked_at is None


def test_a_member_cannot_see_or_revoke_a_colleagues_key(client, world):
    factories.api_key(world.admin_a)
    key = ApiKey.query.one()
    login(client, "member@acme.test")
    assert key.prefix not in client.get("/settings/api-keys").get_data(as_text=True)
    response = client.post(
        f"/settings/api-keys/{key.public_id}/revoke", data={"csrf_token": csrf(client)}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert ApiKey.query.one().revoked_at is None


def test_last_use_is_shown(client, world):
    secret = factories.api_key(world.member_a)
    client.get(
        "/api/v1/projects", headers=bearer(secret), environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )
    login(client, "member@acme.test")
    page = client.get("/settings/api-keys").get_data(as_text=True)
    assert "from 198.51.100.7" in page and "never used" not in page


def test_key_format_lookup_prefix_and_usability():
    """Unit: the secret's format, the part kept to find it, and what makes a key usable."""
    assert keys.SECRET.fullmatch("sp_" + "a" * 43)
    assert keys.lookup_prefix("sp_" + "abcdefghijkl" + "z" * 31) == "sp_abcdefghijkl"
    assert keys.digest("sp_x") != keys.digest("sp_y")
    assert keys.is_usable(ApiKey(revoked_at=None, expires_at=None))
    assert not keys.is_usable(ApiKey(revoked_at=utcnow(), expires_at=None))


def test_of_two_posts_racing_with_one_form_the_second_creates_nothing(app, world):
    """The other POST commits its key between this one's look and its insert: the unique
    token refuses this insert, and this POST answers with the other's key."""
    token = "t" * 43
    member = world.member_a
    scope = KeyScope.READ

    def other_post_commits_first_then_this_one_inserts():
        with db.engine.begin() as other:
            other.execute(
                insert(ApiKey).values(
                    public_id="k" * 20,
                    organization_id=member.organization_id,
                    user_id=member.id,
                    name="first",
                    scope="read",
                    prefix="sp_" + "p" * 12,
                    secret_hash="0" * 64,
                    created_at=utcnow(),
                    form_token=token,
                )
            )
        return keys.issue(member, "second", scope, None, token)

    with app.test_request_context():
        login_user(member)
        with pytest.raises(formtokens.AlreadyUsed) as used:
            formtokens.create_once(ApiKey, token, other_post_commits_first_then_this_one_inserts)
    assert used.value.row.name == "first"
    assert ApiKey.query.count() == 1
