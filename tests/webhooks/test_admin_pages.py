"""The admin's webhook pages: register an endpoint (secret shown once), bad input refused
with the form's error and nothing written, other organisations' endpoints out of reach."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.webhooks.delivery import deliver
from tests import factories
from tests.factories import login
from tests.helpers import csrf, once_form


def register(client, hidden=None, **form):
    """POST the form as shown (`hidden`: its hidden fields, read from a fresh page if None)."""
    data = {**(hidden or once_form(client, "/admin/webhooks/")), **form}
    return client.post("/admin/webhooks/", data=data)


def endpoint_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


def test_admin_registers_an_endpoint_and_sees_its_secret_once(client, world, receiver):
    login(client, "admin@acme.test")
    response = register(
        client,
        url=f"{receiver.url}/in",
        events=["export.completed", "export.revoked"],
        description="ERP  bridge",
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    [endpoint] = db.session.scalars(select(WebhookEndpoint)).all()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.get_data(as_text=True)
    assert endpoint.events == ["export.completed", "export.revoked"]
    assert (endpoint.organization_id, endpoint.description) == (world.org_a.id, "ERP bridge")
    for page in ("/admin/webhooks/", f"/admin/webhooks/{endpoint.public_id}"):
        shown = client.get(page)
        assert shown.status_code == 200
        assert f"{receiver.url}/in" in shown.get_data(as_text=True)
        assert endpoint.secret not in shown.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "events", "message"),
    [
        ("", ["export.completed"], "Enter the endpoint"),
        ("ftp://files.example/in", ["export.completed"], "Only http and https"),
        ("https://user:secret@hooks.example/in", ["export.completed"], "user name or password"),
        ("http://127.0.0.1:1/in", ["export.completed"], "not a public internet address"),
        ("https://169.254.169.254/latest", ["export.completed"], "not a public internet"),
        ("RECEIVER", [], "at least one event"),
        ("RECEIVER", ["export.exploded"], "at least one event"),
    ],
)
def test_bad_input_is_a_400_with_the_forms_error_and_writes_nothing(
    client, world, receiver, url, events, message
):
    login(client, "admin@acme.test")
    url = url.replace("RECEIVER", receiver.url)
    response = register(client, url=url, events=events, description="kept")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'value="kept"' in page
    assert endpoint_count() == 0


def test_a_repeated_post_of_the_form_registers_nothing_and_shows_no_secret(client, world, receiver):
    """A reload of the "shown once" page posts the form again: it answers with the endpoint
    the first POST made, never a second endpoint and never its secret."""
    login(client, "admin@acme.test")
    hidden = once_form(client, "/admin/webhooks/")
    form = {"url": f"{receiver.url}/in", "events": ["export.completed"]}
    first = register(client, hidden, **form)
    again = register(client, hidden, **form)
    [endpoint] = db.session.scalars(select(WebhookEndpoint)).all()
    assert (first.status_code, again.status_code) == (201, 200)
    page = again.get_data(as_text=True)
    assert "Endpoint already registered" in page and endpoint.public_id in page
    assert endpoint.secret not in page and again.headers["Cache-Control"] == "no-store"


def test_a_second_endpoint_on_the_same_url_is_refused_with_a_clear_message(
    app, client, world, receiver
):
    login(client, "admin@acme.test")
    form = {"url": f"{receiver.url}/in", "events": ["export.completed"]}
    assert register(client, **form).status_code == 201
    refused = register(client, **form)
    assert refused.status_code == 400
    assert "already registered" in refused.get_data(as_text=True)
    assert endpoint_count() == 1
    factories.user(world.org_b, "admin@bravo.test", role="admin")
    db.session.commit()
    other = app.test_client()
    login(other, "admin@bravo.test")
    assert register(other, **form).status_code == 201  # another organisation's is its own


def test_the_database_refuses_a_second_endpoint_on_the_same_url(world):
    """The constraint behind the form's check, for two forms posted at the same instant."""
    factories.webhook_endpoint(world.admin_a, "https://hooks.example/in")
    with pytest.raises(IntegrityError):
        factories.webhook_endpoint(world.admin_a, "https://hooks.example/in")
    db.session.rollback()


def test_a_form_without_its_one_time_token_is_refused(client, world, receiver):
    login(client, "admin@acme.test")
    form = {"url": f"{receiver.url}/in", "events": ["export.completed"]}
    for token in ("", "short", "x" * 43 + "\x00"):
        response = register(client, {"csrf_token": csrf(client), "form_token": token}, **form)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "reload the page" in page or "control character (U+0000)" in page
    assert endpoint_count() == 0


def test_a_member_cannot_register_an_endpoint(client, world, receiver):
    login(client, "member@acme.test")
    token = csrf(client)
    response = client.post(
        "/admin/webhooks/",
        data={"csrf_token": token, "url": receiver.url, "events": ["export.completed"]},
    )
    assert response.status_code == 404
    assert endpoint_count() == 0


def test_an_org_admin_never_sees_another_organisations_endpoint(client, world):
    admin_b = factories.user(world.org_b, "admin@bravo.test", role="admin")
    theirs = factories.webhook_endpoint(admin_b, "https://bravo.example/hooks")
    ours = factories.webhook_endpoint(world.admin_a, "https://acme.example/hooks")
    login(client, "admin@acme.test")
    listing = client.get("/admin/webhooks/").get_data(as_text=True)
    assert "https://acme.example/hooks" in listing and "bravo.example" not in listing
    assert client.get(f"/admin/webhooks/{ours.public_id}").status_code == 200
    assert client.get(f"/admin/webhooks/{theirs.public_id}").status_code == 404
    token = csrf(client)
    response = client.post(
        f"/admin/webhooks/{theirs.public_id}/disable", data={"csrf_token": token}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, theirs.id).enabled


def test_disable_and_enable_are_posts_that_change_the_endpoint(client, world):
    endpoint = factories.webhook_endpoint(world.admin_a)
    login(client, "admin@acme.test")
    token = csrf(client)
    url = f"/admin/webhooks/{endpoint.public_id}"
    assert client.post(f"{url}/disable", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert (
        "Disabled by admin@acme.test"
        in db.session.get(WebhookEndpoint, endpoint.id).disabled_reason
    )
    assert client.post(f"{url}/enable", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).enabled
    assert client.post(f"{url}/disable").status_code == 400  # no CSRF token


def test_send_again_to_a_disabled_endpoint_is_refused_with_a_409(client, world, make_delivery):
    delivery = make_delivery(delivered=True)
    login(client, "admin@acme.test")
    token = csrf(client)
    endpoint_url = f"/admin/webhooks/{delivery.endpoint.public_id}"
    client.post(f"{endpoint_url}/disable", data={"csrf_token": token})
    response = client.post(
        f"/admin/webhooks/deliveries/{delivery.public_id}/send-again", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "Enable the endpoint" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).due_at is None


def test_staff_see_every_organisations_endpoints(client, world):
    factories.user(factories.organization("Sitepack"), "ops@sitepack.test", is_staff=True)
    admin_b = factories.user(world.org_b, "admin@bravo.test", role="admin")
    theirs = factories.webhook_endpoint(admin_b, "https://bravo.example/hooks")
    factories.webhook_endpoint(world.admin_a, "https://acme.example/hooks")
    login(client, "ops@sitepack.test")
    listing = client.get("/admin/webhooks/").get_data(as_text=True)
    assert "https://acme.example/hooks" in listing and "https://bravo.example/hooks" in listing
    assert client.get(f"/admin/webhooks/{theirs.public_id}").status_code == 200


def test_delete_needs_the_box_ticked_then_removes_the_endpoint_and_its_log(
    client, world, make_delivery
):
    delivery = make_delivery()
    assert deliver(delivery.id) == "delivered on attempt 1"
    url = f"/admin/webhooks/{delivery.endpoint.public_id}"
    login(client, "admin@acme.test")
    token = csrf(client)
    refused = client.post(f"{url}/delete", data={"csrf_token": token})
    assert refused.status_code == 400 and "Tick the box" in refused.get_data(as_text=True)
    assert endpoint_count() == 1
    deleted = client.post(f"{url}/delete", data={"csrf_token": token, "confirmed": "yes"})
    assert deleted.status_code == 303
    assert endpoint_count() == 0
    for table in (WebhookDelivery, WebhookAttempt):
        assert db.session.scalar(select(func.count()).select_from(table)) == 0
    assert client.get(url).status_code == 404
