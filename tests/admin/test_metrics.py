"""/metrics: the queue page's figures in Prometheus's text format, for a scraper holding the
configured token only; without a token configured, or with a wrong one, there is no such page."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal import queues

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def app_overrides() -> dict:
    return {"METRICS_TOKEN": TOKEN}


def scrape(client, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/metrics", headers=headers)


def samples(text: str) -> dict[tuple, float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_scraper_reads_lanes_workers_and_stuck_exports(client, world, make_export):
    queues.enqueue_export(make_export(status="pending"))
    make_export(status="processing", heartbeat_at=None)  # stalled: no beat at all
    answer = scrape(client)
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    found = samples(answer.get_data(as_text=True))
    assert found[("sitepack_redis_up", ())] == 1
    assert found[("sitepack_queue_jobs", (("lane", "exports-small"), ("state", "queued")))] == 1
    assert found[("sitepack_queue_jobs", (("lane", "mail"), ("state", "failed")))] == 0
    assert found[("sitepack_exports_stuck", ())] == 1
    assert ("sitepack_render_cache_bytes", ()) in found


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", "x" * 8000, "t\u00f6ken\u202e"])
def test_without_the_token_there_is_no_such_page(client, world, token):
    assert scrape(client, token).status_code == 404


def test_logged_in_staff_without_the_token_get_404_too(client, world):
    from tests.factories import login

    login(client, "admin@acme.test")
    assert scrape(client, None).status_code == 404


class TestUnconfigured:
    @pytest.fixture
    def app_overrides(self) -> dict:
        return {"METRICS_TOKEN": None}

    def test_no_token_configured_means_no_page_whatever_is_sent(self, client, world):
        assert scrape(client, "None").status_code == 404
        assert scrape(client, "").status_code == 404
