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
