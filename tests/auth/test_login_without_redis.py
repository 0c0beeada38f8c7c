"""Redis holds the failed-login counts; without it the limits lapse and nobody is locked out
(nor shown a 500 or the export queue's 503)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.helpers import csrf
from tests.servers import free_port


@pytest.fixture
def app_overrides() -> dict:
    return {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0"}


def test_logins_are_checked_and_answered_while_redis_is_unreachable(client, world):
    token = csrf(client, "/login")
    form = {"email": "member@acme.test", "csrf_token": token}
    assert client.post("/login", data={**form, "password": "wrong"}).status_code == 200
    assert client.post("/login", data={**form, "password": PASSWORD}).status_code == 302
