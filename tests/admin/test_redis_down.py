"""Redis is only a cache of the work: with it down, the admin and export pages still answer."""

from __future__ import annotations

import pytest

from portal.exports import service
from portal.extensions import db
from tests import factories
from tests.factories import login
from tests.servers import free_port

DELAYED = "Exports are delayed"


@pytest.fixture
def sitepack_env(sitepack_env):
    return {**sitepack_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


def test_redis_down_leaves_admin_pages_working_with_health_unknown(client, world):
    record = factories.records(world.project_a, 1)[0]
    export = service.create_export(
        world.member_a, world.project_a, [record.id], service.ExportOptions(), "f"
    )
    db.session.commit()
    login(client, "admin@acme.test")
    queues_page = client.get("/admin/queues")
    assert queues_page.status_code == 200
    assert "Redis could not be reached" in queues_page.get_data(as_text=True)
    detail = client.get(f"/admin/exports/{export.public_id}")
    assert detail.status_code == 200
    assert "Redis could not be reached" in detail.get_data(as_text=True)
    user_page = client.get(f"/exports/{export.public_id}")
    assert user_page.status_code == 200 and DELAYED not in user_page.get_data(as_text=True)
