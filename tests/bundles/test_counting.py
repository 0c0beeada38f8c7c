"""A records export with document links counts and words its records and its files apart on
every door that shows it: the export's page, its email, the API, the admin console, the
webhook payload and the zip's name. (Here: 22 records and 2 links, of which one record could
not be rendered and one link not fetched.)"""

from __future__ import annotations

import html

import pytest

from portal.exports import service
from portal.exports.links import LinkIn
from portal.extensions import db, mail
from portal.mailer import MailKind, send_export_mail
from portal.models import Export, ExportStatus, utcnow
from portal.webhooks.payload import event_body
from tests import factories
from tests.api.calls import Caller
from tests.factories import login

LINKS = [LinkIn("https://docs.test/om.pdf", "O&M/Manual.pdf"), LinkIn("https://docs.test/gone.pdf")]


@pytest.fixture
def pack(world) -> Export:
    """Ready, with one record in ERRORS.txt and one link that answered 404."""
    made = factories.records(world.project_a, 22)
    request = service.request_export(
        world.member_a, world.project_a, [r.id for r in made], service.ExportOptions(), links=LINKS
    )
    export = request.export
    for column, value in factories.state_columns(ExportStatus.COMPLETED).items():
        setattr(export, column, value)
    export.status, export.warnings, export.files_failed = ExportStatus.COMPLETED, 2, 1
    export.links[1].error = "HTTP 404"
    export.parts = factories.export_parts(export, 1, None)
    db.session.commit()
    return export


def test_the_page_words_records_and_files_apart(client, pack):
    login(client, "member@acme.test")

    page = html.unescape(client.get(f"/exports/{pack.public_id}").get_data(as_text=True))

    assert "Export of 22 records and 2 files" in page
    assert "Select these 22 again" in page
    assert "1 of 22 records could not be rendered; ERRORS.txt" in page
    assert "1 of 2 links could not be fetched:" in page
    assert "https://docs.test/gone.pdf</span>: HTTP 404" in page
    assert "24 records" not in page and page.count("could not be rendered") == 1


def test_the_email_words_records_and_files_apart(app, pack):
    with mail.record_messages() as outbox:
        send_export_mail(pack, MailKind.READY)

    [message] = outbox
    body = " ".join(message.body.split())
    assert message.subject == "“Harbour View Tower” is ready"
    assert "1 of 22 records could not be rendered" in body
    assert "1 of 2 links could not be fetched: - https://docs.test/gone.pdf: HTTP 404" in body


def test_the_api_counts_records_and_files_apart(app, world, pack):
    api = Caller(app.test_client(), factories.api_key(world.member_a))

    out = api.get(f"/api/v1/exports/{pack.public_id}").get_json()

    assert (out["total"], out["records"], out["files"]) == (24, 22, 2)
    assert (out["warnings"], out["records_failed"], out["files_failed"]) == (2, 1, 1)


def test_the_admin_console_and_the_webhook_count_records_and_files_apart(client, pack):
    login(client, "admin@acme.test")

    detail = html.unescape(client.get(f"/admin/exports/{pack.public_id}").get_data(as_text=True))
    listing = client.get("/admin/exports").get_data(as_text=True)

    assert "22 records and 2 files" in detail and "22 records and 2 files" in listing
    assert "1 of 22 records could not be rendered" in detail
    assert "1 of 2 links could not be fetched" in detail
    data = event_body("export.completed", pack, utcnow())["data"]
    assert (data["total"], data["records"], data["files"], data["files_failed"]) == (24, 22, 2, 1)
