"""The emailed download link for someone who is not logged in: the login form sends them to
the export's page with a download prompt, never on to the download (whose redirect to S3
Chromium would block inside the login POST's redirect chain; tests/e2e/test_email_link.py
shows it in the browser)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Download, ExportStatus, utcnow
from tests import factories
from tests.factories import login

ZIP_NAME = "Sitepack-HVT-2026-03-02-500-records.zip"


def ready_export(world, **columns):
    key = f"exports/1/x/attempt-1/{ZIP_NAME}"
    return factories.export_in(
        ExportStatus.COMPLETED, world.member_a, world.project_a, parts=[key], **columns
    )


def login_next(response) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def test_a_logged_out_download_returns_to_the_export_page_not_to_the_download(client, world):
    export = ready_export(world)
    response = client.get(f"/exports/{export.public_id}/download")
    assert login_next(response) == f"/exports/{export.public_id}?download=1"


def test_logging_in_from_the_download_link_lands_on_the_export_page(client, world):
    export = ready_export(world)
    next_path = login_next(client.get(f"/exports/{export.public_id}/download"))
    response = login(client, "member@acme.test", next_path=next_path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/exports/{export.public_id}?download=1"


def test_a_login_url_that_names_the_download_itself_also_lands_on_the_export_page(client, world):
    """A bookmarked or older login link may carry next=/exports/<id>/download."""
    export = ready_export(world)
    response = login(client, "member@acme.test", next_path=f"/exports/{export.public_id}/download")
    assert response.headers["Location"] == f"/exports/{export.public_id}?download=1"


def test_the_export_page_with_the_marker_offers_the_named_file_and_records_nothing(client, world):
    export = ready_export(world)
    login(client, "member@acme.test")
    html = client.get(f"/exports/{export.public_id}?download=1").get_data(as_text=True)
    assert f"Download {ZIP_NAME} (4.8 MB)" in html
    assert f'href="/exports/{export.public_id}/download"' in html
    assert "data-start-download" in html
    assert db.session.scalar(select(func.count()).select_from(Download)) == 0


def test_without_the_marker_the_page_does_not_start_a_download(client, world):
    export = ready_export(world)
    login(client, "member@acme.test")
    html = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "data-start-download" not in html


def test_a_link_to_an_export_that_expired_shows_the_page_without_a_prompt(client, world):
    export = ready_export(world, expires_at=utcnow() - timedelta(hours=1))
    login(client, "member@acme.test")
    html = client.get(f"/exports/{export.public_id}?download=1").get_data(as_text=True)
    assert "data-start-download" not in html
    assert "This export expired on" in html
