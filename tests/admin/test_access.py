"""Who reaches the admin pages, and whose exports they see there."""

from __future__ import annotations

import pytest

from tests.factories import login
from tests.helpers import confirm_and_post, csrf, reload

ADMIN_ACTIONS = ("reorder", "retry", "revoke", "cancel")


def admin_urls(app, public_id: str) -> list[tuple[str, str]]:
    """(method, url) for every /admin route, filled with a real export id and action."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        values = {
            "public_id": public_id,
            "name": "revoke",
            "endpoint_id": public_id,
            "delivery_id": public_id,
        }
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", values[argument])
        urls += [(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}]
    return urls


def test_member_gets_404_from_every_admin_url(app, client, world, make_export):
    export = make_export(status="completed")
    login(client, "member@acme.test")
    form = {"confirmed": "yes", "csrf_token": csrf(client)}
    urls = admin_urls(app, export.public_id)
    assert len(urls) >= 7
    for method, url in urls:
        response = client.open(url, method=method, data=form)
        assert response.status_code == 404, (method, url, response.status_code)
    assert reload(export).status == "completed"


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get("/admin/exports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_org_admin_sees_only_their_organisations_exports(client, world, make_export):
    ours = make_export(status="completed")
    theirs = make_export(requester=world.member_b, project=world.project_b, status="completed")
    login(client, "admin@acme.test")
    page = client.get("/admin/exports").get_data(as_text=True)
    assert f"/admin/exports/{ours.public_id}" in page
    assert theirs.public_id not in page
    assert client.get(f"/admin/exports/{theirs.public_id}").status_code == 404


@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_org_admin_acting_on_another_organisations_export_gets_404(
    client, world, make_export, action
):
    theirs = make_export(requester=world.member_b, project=world.project_b, status="completed")
    login(client, "admin@acme.test")
    token = csrf(client)
    assert client.get(f"/admin/exports/{theirs.public_id}/confirm/{action}").status_code == 404
    response = client.post(
        f"/admin/exports/{theirs.public_id}/{action}",
        data={"csrf_token": token, "confirmed": "yes"},
    )
    assert response.status_code == 404
    assert reload(theirs).status == "completed"


def test_staff_see_every_organisations_exports(client, world, staff, make_export):
    ours = make_export(status="completed")
    theirs = make_export(requester=world.member_b, project=world.project_b, status="failed")
    login(client, "ops@sitepack.test")
    page = client.get("/admin/exports").get_data(as_text=True)
    assert ours.public_id in page and theirs.public_id in page
    assert "Bravo Civil" in page and "Acme Build" in page
    assert client.get(f"/admin/exports/{theirs.public_id}").status_code == 200


def test_staff_can_act_on_another_organisations_export(client, world, staff, make_export):
    theirs = make_export(requester=world.member_b, project=world.project_b, status="processing")
    login(client, "ops@sitepack.test")
    response = confirm_and_post(client, theirs, "cancel")
    assert response.status_code == 303
    assert reload(theirs).status == "cancelled"


def test_admin_link_in_the_navigation_shows_for_admins_only(app, world):
    admin, member = app.test_client(), app.test_client()
    login(admin, "admin@acme.test")
    login(member, "member@acme.test")
    assert 'href="/admin/exports"' in admin.get("/").get_data(as_text=True)
    assert 'href="/admin/exports"' not in member.get("/").get_data(as_text=True)


def test_malformed_export_id_answers_404(client, world):
    login(client, "admin@acme.test")
    for bad in ("x", "a" * 200, "%00abcdefgh", "..%2f..%2fetc"):
        assert client.get(f"/admin/exports/{bad}").status_code == 404, bad
