"""The API's tests: callers holding keys of the people of `world`."""

from __future__ import annotations

import pytest

from tests import factories
from tests.api.calls import Caller


@pytest.fixture
def api(app, world) -> Caller:
    """Org A's member with an `export` key."""
    return Caller(app.test_client(), factories.api_key(world.member_a))


@pytest.fixture
def caller(app, world):
    """`caller(user, scope="export", **columns)`: a Caller with a new key of that user."""

    def make(user, scope: str = "export", **columns) -> Caller:
        return Caller(app.test_client(), factories.api_key(user, scope, **columns))

    return make
