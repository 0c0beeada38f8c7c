"""What counts as a download: a presigned link sent to a person's browser by a GET. The
console counts people, so one person who clicked three times is one download."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Download, ExportStatus, utcnow
from tests import factories
from tests.factories import login


@pytest.fixture
def ready(world):
    return factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        parts=["exports/ready.zip"],
        byte_size=1024,
        expires_at=utcnow() + timedelta(days=1),
    )


def download(app, email: str, public_id: str, method: str = "GET"):
    client = app.test_client()
    login(client, email)
    return client.open(f"/exports/{public_id}/download", method=method)


def test_one_person_clicking_three_times_is_one_download_in_the_console(app, client, ready):
    for _ in range(3):
        assert download(app, "member@acme.test", ready.public_id).status_code == 302
    download(app, "admin@acme.test", ready.public_id)
    login(client, "admin@acme.test")
    console = client.get("/admin/exports").get_data(as_text=True)
    row = console[console.index(ready.public_id) :].split("</tr>")[0]
    assert 'title="4 download links sent">2</td>' in row
    detail = client.get(f"/admin/exports/{ready.public_id}").get_data(as_text=True)
    assert "<dt>Downloaded by</dt><dd>2 people (4 download links sent)</dd>" in detail


def test_an_export_nobody_downloaded_says_so(client, ready):
    login(client, "admin@acme.test")
    detail = client.get(f"/admin/exports/{ready.public_id}").get_data(as_text=True)
    assert "<dt>Downloaded by</dt><dd>0 people</dd>" in detail


def test_a_head_request_answers_but_records_no_download(app, ready):
    response = download(app, "member@acme.test", ready.public_id, method="HEAD")
    assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
    assert Download.query.count() == 0
    download(app, "member@acme.test", ready.public_id)
    assert Download.query.count() == 1


@pytest.mark.parametrize(
    ("state", "status_code"),
    [
        (ExportStatus.FAILED, 410),
        (ExportStatus.REVOKED, 410),
        (ExportStatus.EXPIRED, 410),
        (ExportStatus.PROCESSING, 409),
    ],
)
def test_a_refused_download_records_nothing(app, world, state, status_code):
    export = factories.export_in(state, world.member_a, world.project_a)
    response = download(app, "member@acme.test", export.public_id)
    assert response.status_code == status_code
    assert Download.query.count() == 0


def test_a_download_past_its_expiry_time_records_nothing(app, ready):
    ready.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert download(app, "member@acme.test", ready.public_id).status_code == 410
    assert Download.query.count() == 0
