"""A webhook's `data` is the export resource the API's export extends: the same fields under
the same names with the same values; version 1, behind WEBHOOK_PAYLOAD_VERSION, for one
release."""

from __future__ import annotations

import pytest

from portal.api.schemas import ExportOut
from portal.config import ConfigError, from_environment
from portal.exports.resource import ExportResource, ResourceLinks
from portal.models import ExportStatus
from portal.webhooks import outbox
from portal.webhooks.catalogue import EventType
from tests import factories
from tests.api.calls import Caller
from tests.webhooks.test_outbox import deliveries

VIEWER_FIELDS = {"label", "percent", "eta_seconds"}


def announced(world, state: ExportStatus = ExportStatus.COMPLETED) -> dict:
    export = factories.export_in(state, world.member_a, world.project_a, 2)
    outbox.emit(export.id, EventType.COMPLETED)
    [delivery] = deliveries()
    return delivery.payload


def test_the_api_export_and_the_webhook_data_share_the_resource(app, world, endpoint):
    data = announced(world)["data"]
    api = Caller(app.test_client(), factories.api_key(world.member_a, "read"))
    out = api.get(f"/api/v1/exports/{data['id']}").get_json()

    resource = set(ExportResource.model_fields)
    assert set(data) == resource and set(out) == resource | VIEWER_FIELDS
    assert set(ExportOut.model_fields) == resource | VIEWER_FIELDS
    assert {name: out[name] for name in resource - {"links"}} == {
        name: data[name] for name in resource - {"links"}
    }
    assert {name: out["links"][name] for name in ResourceLinks.model_fields} == data["links"]
    assert data["parts"][0]["download"].startswith(data["links"]["self"])


class TestVersion1:
    @pytest.fixture
    def app_overrides(self):
        return {"WEBHOOK_PAYLOAD_VERSION": 1}

    def test_keeps_the_old_shape_while_the_setting_asks_for_it(self, app, world, endpoint):
        body = announced(world)
        data, page = body["data"], f"http://sitepack.test/exports/{body['data']['id']}"
        assert "version" not in body and set(body) == {"type", "timestamp", "data"}
        assert (data["records"], data["name"], data["links"]["download"]) == (
            2,
            world.project_a.name,
            f"{page}/download",
        )
        assert data["parts"][0]["download_url"] == f"{page}/download?part=1"


def test_a_payload_version_other_than_1_or_2_stops_start_up():
    assert from_environment({})["WEBHOOK_PAYLOAD_VERSION"] == 2
    with pytest.raises(ConfigError, match="WEBHOOK_PAYLOAD_VERSION must be 1 or 2, got 3"):
        from_environment({"WEBHOOK_PAYLOAD_VERSION": "3"})
