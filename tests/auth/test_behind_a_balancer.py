"""Behind a load balancer (TRUSTED_PROXY_COUNT=1) the client's address is the one the balancer
appended to X-Forwarded-For; gunicorn leaves REMOTE_ADDR at the balancer's."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.helpers import csrf


@pytest.fixture
def sitepack_env(sitepack_env):
    return {**sitepack_env, "TRUSTED_PROXY_COUNT": "1"}


def test_each_client_behind_the_balancer_has_its_own_address_limit(app, client, world):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    token = csrf(client, "/login")

    def attempt(email: str, password: str, client_address: str, spoofed: str) -> int:
        """The balancer appends the address it saw to whatever the client sent."""
        form = {"email": email, "password": password, "csrf_token": token}
        headers = {"X-Forwarded-For": f"{spoofed}, {client_address}"}
        environ = {"REMOTE_ADDR": "10.9.9.9"}
        return client.post("/login", data=form, headers=headers, environ_base=environ).status_code

    statuses = [attempt("nobody@acme.test", "x", "198.51.100.1", f"192.0.2.{n}") for n in range(3)]
    assert statuses == [200, 200, 429]
    assert attempt("member@acme.test", PASSWORD, "198.51.100.2", "192.0.2.1") == 302


def log_in_from(client, address: str) -> None:
    token = csrf(client, "/login")
    form = {"email": "member@acme.test", "password": PASSWORD, "csrf_token": token}
    answer = client.post("/login", data=form, **through_balancer(address, None))
    assert answer.status_code == 302


def through_balancer(address: str, claimed: str | None) -> dict:
    """A request from `address`, whose client may claim an X-Forwarded-For of its own; the
    balancer appends the address it saw."""
    forwarded = f"{claimed}, {address}" if claimed else address
    return {"headers": {"X-Forwarded-For": forwarded},
            "environ_base": {"REMOTE_ADDR": "10.9.9.9"}}  # fmt: skip


@pytest.mark.parametrize(
    ("later_from", "claimed", "still_in"),
    [
        ("198.51.100.7", "203.0.113.9", True),  # what the client claims changed: same client
        ("198.51.100.8", "198.51.100.7", False),  # a copied cookie, claiming the owner's address
    ],
)
def test_the_session_is_bound_to_the_address_the_balancer_saw(client, world, later_from, claimed,
                                                              still_in):  # fmt: skip
    """Found by the rehearsal: Flask-Login's strong session protection read the first entry
    of X-Forwarded-For, which the client writes: a client's own header logged it out behind
    nginx, and a cookie used elsewhere got past the protection by naming the owner's address."""
    log_in_from(client, "198.51.100.7")
    answer = client.get("/exports", **through_balancer(later_from, claimed))
    assert (answer.status_code == 200) is still_in
