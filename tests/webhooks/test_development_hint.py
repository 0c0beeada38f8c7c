"""In development (`make run`), a URL refused for leading to this machine says how to allow it:
the setting, OUTBOUND_ALLOWLIST, and the exact entry to add. Elsewhere the refusal stays bare."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portal.config import from_environment
from portal.outbound.download import rules_for
from portal.outbound.guard import Refused, policy_for, vet
from tests.factories import login
from tests.webhooks.test_admin_pages import endpoint_count, register

DEVELOPMENT = {"SITEPACK_ENV": "development"}


@pytest.fixture
def sitepack_env(sitepack_env):
    return {**sitepack_env, **DEVELOPMENT}


def test_the_webhook_form_names_the_setting_and_the_entry_that_admits_the_url(client, world):
    login(client, "admin@acme.test")
    response = register(client, url="http://127.0.0.1:8000/hook", events=["export.completed"])
    assert response.status_code == 400
    assert "add 127.0.0.1:8000 to OUTBOUND_ALLOWLIST" in response.get_data(as_text=True)
    assert endpoint_count() == 0


def test_the_bundle_fetchers_refusal_names_the_entry_too():
    with pytest.raises(Refused, match=r"add 127\.0\.0\.1:9000 to OUTBOUND_ALLOWLIST"):
        vet("http://127.0.0.1:9000/plan.pdf", rules_for(from_environment(DEVELOPMENT)).policy)


def test_every_address_of_the_name_is_named_ipv6_in_brackets():
    def resolver(host, port):
        return ["127.0.0.1", "::1"]

    policy = replace(policy_for(from_environment(DEVELOPMENT)), resolver=resolver)
    with pytest.raises(Refused, match=r"add 127\.0\.0\.1:8080,\[::1\]:8080 to OUTBOUND_ALLOWLIST"):
        vet("http://localhost:8080/", policy)


def test_the_entry_named_admits_the_url_once_added():
    allowed = from_environment({**DEVELOPMENT, "OUTBOUND_ALLOWLIST": "127.0.0.1:8000"})
    assert vet("http://127.0.0.1:8000/hook", policy_for(allowed)).address == "127.0.0.1"


def test_outside_development_the_refusal_does_not_mention_the_allowlist():
    with pytest.raises(Refused) as refused:
        vet("https://127.0.0.1:8000/hook", policy_for(from_environment({})))
    assert "OUTBOUND_ALLOWLIST" not in str(refused.value)
