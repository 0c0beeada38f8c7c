"""A bundle filed under no project, on every page, email and payload that names an export's
project: they show the bundle's name and count files instead."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.exports.resource import export_resource
from portal.extensions import mail
from portal.mailer import MailKind, send_export_mail
from portal.models import ExportStatus, utcnow
from portal.storage import client as s3
from portal.storage import reconcile
from tests import factories
from tests.factories import login


@pytest.fixture
def ready_bundle(world):
    return factories.bundle_in(ExportStatus.COMPLETED, world.member_a, links=3, failed=1)


def test_the_requesters_pages_name_the_bundle_and_count_its_files(client, ready_bundle):
    login(client, "member@acme.test")

    page = client.get(f"/exports/{ready_bundle.public_id}").get_data(as_text=True)
    listing = client.get("/exports").get_data(as_text=True)
    poll = client.get(f"/exports/{ready_bundle.public_id}/status").get_data(as_text=True)

    assert "Bundle of 3 files" in page and "Handover pack" in page
    assert "Select these" not in page  # no records to select again
    assert "3 files · Handover pack" in poll
    assert "1 of 3 links could not be fetched:" in poll
    assert "https://docs.example/0.pdf</span>: HTTP 404" in poll
    assert "records" not in poll
    assert "Handover pack" in listing and "3 files" in listing


@pytest.mark.parametrize(
    "path", ["/admin/exports", "/admin/exports/{id}", "/admin/exports/{id}/confirm/revoke"]
)
def test_the_admin_pages_show_a_bundle_without_a_project(client, ready_bundle, path):
    login(client, "admin@acme.test")

    response = client.get(path.format(id=ready_bundle.public_id))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Handover pack" in page and "3 files" in page


def test_the_admin_detail_lists_the_bundles_links(client, ready_bundle):
    login(client, "admin@acme.test")

    page = client.get(f"/admin/exports/{ready_bundle.public_id}").get_data(as_text=True)

    assert "<h2>Links</h2>" in page and "https://docs.example/2.pdf" in page


def test_the_ready_email_names_the_bundle(app, ready_bundle):
    """The rendering alone: the SMTP sink receives a bundle's email in test_bundle_e2e.py."""
    with mail.record_messages() as outbox:
        send_export_mail(ready_bundle, MailKind.READY)

    [message] = outbox
    body = " ".join(message.body.split())
    assert message.subject == "“Handover pack” is ready"
    assert "Your export of 3 files from Handover pack is ready: one zip" in body
    assert "1 of 3 links could not be fetched: - https://docs.example/0.pdf: HTTP 404" in body
    assert "record" not in body


def test_the_webhook_payload_says_bundle_and_has_no_project(app, ready_bundle):
    resource = export_resource(ready_bundle)

    assert (resource.kind, resource.name, resource.project) == (
        "bundle",
        "Handover pack",
        None,
    )


def test_reconcile_keeps_a_ready_bundles_zip_and_deletes_a_stray_one(app, world, bucket):
    bundle = factories.bundle_in(
        ExportStatus.COMPLETED, world.member_a, expires_at=utcnow() + timedelta(hours=3)
    )
    [kept] = bundle.object_keys
    stray = kept.replace(bundle.public_id, "gone0000gone0000")
    for key in (kept, stray):
        s3.put_bytes(key, b"zip", "application/zip")

    findings = reconcile.run(upload_age=timedelta(hours=1))

    assert findings.stray_objects == [stray]
    assert s3.list_keys("bundles/") == [kept]
