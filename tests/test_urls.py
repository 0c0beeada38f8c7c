"""Every link Sitepack sends comes from portal/urls.py: on PUBLIC_BASE_URL, whatever its form
(a path prefix, a trailing slash), the same from a job as from a request."""

from __future__ import annotations

import pytest

from portal.api import present
from portal.exports.resource import export_resource
from portal.mailer import export_links
from portal.models import ExportStatus
from tests import factories

BASE = "https://portal.example/sitepack"


@pytest.fixture
def app_overrides():
    return {"PUBLIC_BASE_URL": BASE + "/"}


def test_the_email_the_webhook_and_the_api_link_to_the_same_portal(app, world):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 2)
    page = f"{BASE}/exports/{export.public_id}"
    mail = export_links(export)
    webhook = export_resource(export).links
    with app.test_request_context("/api/v1/exports", base_url="http://forged.example"):
        api = present.export_out(export).links
    assert (mail["page_url"], mail["download_url"]) == (page, f"{page}/download")
    assert webhook.page == page
    assert api.self == f"{BASE}/api/v1/exports/{export.public_id}"
