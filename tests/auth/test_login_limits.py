"""Failed logins are limited per client address, per account and address, and (slowing, not
closing) per account, counted in the real Redis (policy: portal/auth/throttle.py).

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


def test_an_attacker_address_locks_only_itself_out_of_the_account(app, world, attempt):
    app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"] = "3 per 15 minutes"
    responses = [attempt("member@acme.test", f"guess {n}", "10.0.0.66") for n in range(30)]
    assert [r.status_code for r in responses[:4]] == [200, 200, 200, 429]
    assert {r.status_code for r in responses[3:]} == {429}
    assert ACCOUNT_LIMITED in responses[-1].get_data(as_text=True)
    assert int(responses[-1].headers["Retry-After"]) > 0
    # Even the right password is refused from the attacker's address ...
    assert attempt("member@acme.test", PASSWORD, "10.0.0.66").status_code == 429
    # ... while the owner, from their own network, logs in.
    assert attempt("member@acme.test", PASSWORD, "192.0.2.1").status_code == 302


def test_a_spray_from_many_addresses_slows_the_account_but_lets_its_owner_in(
    app, client, world, attempt
):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "10 per 15 minutes"
    spellings = ["member@acme.test", " Member@ACME.test ", "MEMBER@acme.test"]
    responses = [attempt(spellings[n % 3], f"guess {n}", f"10.0.0.{n % 10}") for n in range(100)]
    checked = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    # Each address's first guess was checked; once the account had 10 failures, every
    # address that had failed on it was refused.
    assert len(checked) == 10 and len(limited) == 90
    assert ACCOUNT_LIMITED in limited[-1].get_data(as_text=True)
    assert int(limited[-1].headers["Retry-After"]) > 0
    assert attempt("member@acme.test", PASSWORD, "192.0.2.1").status_code == 302
    log_out(client)
    # Another account, even from one of the spraying addresses, is not slowed.
    assert attempt("admin@acme.test", PASSWORD, "10.0.0.1").status_code == 302


def test_past_the_account_threshold_only_addresses_without_failures_are_checked(
    app, client, world, attempt
):
    app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"] = "3 per 15 minutes"
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "6 per 15 minutes"
    for n in range(1, 4):
        statuses = [attempt("member@acme.test", "wrong", f"10.0.4.{n}").status_code for _ in "ab"]
        assert statuses == [200, 200]
    # Six failures: the account is slowed. An address with one, below its own limit of three,
    # now waits; an address without any has its guess checked, once.
    assert attempt("member@acme.test", "wrong", "10.0.4.1").status_code == 429
    assert attempt("member@acme.test", "wrong", "10.0.4.4").status_code == 200
    assert attempt("member@acme.test", "wrong", "10.0.4.4").status_code == 429
    assert attempt("member@acme.test", PASSWORD, "10.0.4.5").status_code == 302
    log_out(client)
    # The owner's login does not lift the slow-down for the addresses that failed.
    assert attempt("member@acme.test", PASSWORD, "10.0.4.1").status_code == 429


def test_the_limit_per_address_spans_accounts(app, world, attempt):
    app.config["LOGIN_RATE_LIMIT"] = "4 per minute"
    emails = [f"guess{n}@acme.test" for n in range(3)] + ["member@acme.test", "admin@acme.test"]
    responses = [attempt(email, "wrong", "10.0.5.1") for email in emails]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert "Too many failed logins from your network" in responses[-1].get_data(as_text=True)
    assert attempt("admin@acme.test", PASSWORD, "10.0.5.2").status_code == 302


def test_an_unknown_address_is_counted_like_a_real_account(app, world, attempt):
    app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"] = "3 per 15 minutes"
    for email in ("nobody@acme.test", "member@acme.test"):
        statuses = [attempt(email, "x", "10.0.1.1").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_the_account_limit_lapses_after_its_window(app, client, world, attempt):
    # A window that four password checks fit in even on a loaded machine (argon2 is slow).
    app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"] = "3 per 15 seconds"
    for _ in range(3):
        attempt("member@acme.test", "wrong", "10.0.2.1")
    assert attempt("member@acme.test", PASSWORD, "10.0.2.1").status_code == 429
    wait_until(lambda: attempt("member@acme.test", PASSWORD, "10.0.2.1").status_code == 302, 60)


def test_a_successful_login_forgives_the_addresss_failures(app, client, world, attempt):
    app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"] = "3 per 15 minutes"
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
