"""Failed logins are limited per client address and per account, counted in the real Redis.

The app takes the client address from REMOTE_ADDR, which gunicorn sets to the connecting peer
(it does not rewrite it from X-Forwarded-For), so the tests set REMOTE_ADDR; behind load
balancers (TRUSTED_PROXY_COUNT, test_behind_a_balancer.py) it comes from X-Forwarded-For.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories
from tests.factories import PASSWORD
from tests.helpers import csrf
from tests.polling import wait_until

ACCOUNT_LIMITED = "Too many failed logins to this account"


@pytest.fixture
def attempt(client):
    """`attempt(email, password, address)`: one login POST from that client address."""
    token = csrf(client, "/login")

    def post(email: str, password: str, address: str, forwarded_for: str | None = None):
        form = {"email": email, "password": password, "csrf_token": token}
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        environ = {"REMOTE_ADDR": address}
        return client.post("/login", data=form, headers=headers, environ_base=environ)

    return post


def log_out(client):
    token = csrf(client, "/login")
    client.post("/logout", data={"csrf_token": token})


def test_a_spray_from_many_addresses_is_stopped_by_the_account_limit(app, client, world, attempt):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "10 per 5 minutes"
    spellings = ["member@acme.test", " Member@ACME.test ", "MEMBER@acme.test"]
    responses = [attempt(spellings[n % 3], f"guess {n}", f"10.0.0.{n % 10}") for n in range(100)]
    checked = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(checked) == 10 and len(limited) == 90
    assert ACCOUNT_LIMITED in limited[-1].get_data(as_text=True)
    assert int(limited[-1].headers["Retry-After"]) > 0
    # The owner is locked out too while the window lasts, however right the password ...
    assert attempt("member@acme.test", PASSWORD, "192.0.2.1").status_code == 429
    # ... but another account, even from one of the spraying addresses, is not.
    assert attempt("admin@acme.test", PASSWORD, "10.0.0.1").status_code == 302


def test_an_unknown_address_is_counted_like_a_real_account(app, world, attempt):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per 5 minutes"
    statuses = [attempt("nobody@acme.test", "x", f"10.0.1.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_account_limit_lapses_after_its_window(app, client, world, attempt):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per 2 seconds"
    for n in range(3):
        attempt("member@acme.test", "wrong", f"10.0.2.{n}")
    assert attempt("member@acme.test", PASSWORD, "10.0.2.9").status_code == 429
    wait_until(lambda: attempt("member@acme.test", PASSWORD, "10.0.2.9").status_code == 302, 10)


def test_a_successful_login_resets_the_accounts_count(app, client, world, attempt):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per 5 minutes"
    for _ in range(2):
        assert attempt("member@acme.test", "wrong", "10.0.3.1").status_code == 200
    assert attempt("member@acme.test", PASSWORD, "10.0.3.1").status_code == 302
    log_out(client)
    statuses = [attempt("member@acme.test", "wrong", "10.0.3.1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_shared_office_address_is_limited_by_failures_not_by_successful_logins(
    app, client, world, attempt
):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    office = "203.0.113.7"
    colleagues = [factories.user(world.org_a, f"colleague{n}@acme.test") for n in range(5)]
    db.session.commit()
    for colleague in colleagues:
        assert attempt(colleague.email, PASSWORD, office).status_code == 302
        log_out(client)
    responses = [attempt("member@acme.test", "typo", office) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert "Too many failed logins from your network" in responses[-1].get_data(as_text=True)


def test_served_directly_a_client_cannot_choose_its_address(app, world, attempt):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    statuses = [
        attempt("nobody@acme.test", "x", "198.51.100.1", forwarded_for=f"192.0.2.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]
