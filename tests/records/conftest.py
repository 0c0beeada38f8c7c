import pytest

from tests.factories import login


@pytest.fixture
def member(client, world):
    """A client logged in as org A's member."""
    login(client, "member@acme.test")
    return client
