"""Login and tenant isolation on every records route."""

import pytest

from portal.extensions import db
from tests import factories
from tests.factories import login
from tests.helpers import csrf_headers
from tests.records.helpers import HTMX


@pytest.fixture
def org_a_rows(world):
    record = factories.record(world.project_a)
    db.session.flush()
    photo = factories.attachment(record, rendition_key="attachments/a/rendition.jpg")
    db.session.commit()
    return world.project_a, record, photo


def pages(project, record, photo) -> list[str]:
    p, r = project.public_id, record.public_id
    return [
        "/",
        f"/projects/{p}/records",
        f"/projects/{p}/records/{r}",
        f"/attachments/{photo.public_id}/rendition",
        f"/attachments/{photo.public_id}/original",
        f"/projects/{p}/records/{r}/pdf",
        f"/projects/{p}/records/{r}/pdf/status",
    ]


def changes(project, record) -> list[str]:
    p = project.public_id
    return [
        f"/projects/{p}/records/{record.public_id}/selection",
        f"/projects/{p}/selection/page",
        f"/projects/{p}/selection/page/all",
        f"/projects/{p}/selection/matching",
        f"/projects/{p}/selection/clear",
        f"/projects/{p}/records/{record.public_id}/pdf",
    ]


def test_anonymous_is_sent_to_login_from_every_records_route(client, org_a_rows):
    for url in pages(*org_a_rows):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    headers = csrf_headers(client, page="/login")
    for url in changes(*org_a_rows[:2]):
        response = client.post(url, headers=headers)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url


def test_anonymous_htmx_request_is_redirected_whole_page(client, org_a_rows):
    response = client.get(pages(*org_a_rows)[1], headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_member_of_other_org_gets_404(client, org_a_rows):
    login(client, "member@bravo.test")
    for url in pages(*org_a_rows)[1:]:
        assert client.get(url).status_code == 404, url
    headers = csrf_headers(client, HTMX)
    for url in changes(*org_a_rows[:2]):
        assert client.post(url, headers=headers).status_code == 404, url


def test_member_of_other_org_does_not_see_the_project_listed(client, org_a_rows):
    login(client, "member@bravo.test")
    html = client.get("/").get_data(as_text=True)
    assert "Bravo Depot" in html
    assert org_a_rows[0].public_id not in html


def test_unknown_and_malformed_ids_get_404(member, org_a_rows):
    project, record, _ = org_a_rows
    for bad in ["nope", "x" * 40, "%00", "AAAAAAA%00AAAAAAAA", "..%2F..%2Fetc", "AAAAAAAAAAAAAAAA"]:
        assert member.get(f"/projects/{bad}/records").status_code == 404
        assert member.get(f"/projects/{project.public_id}/records/{bad}").status_code == 404
        assert member.get(f"/attachments/{bad}/rendition").status_code == 404
