"""The organisation settings page's branding section: org admins only, their own organisation
only, and a refused file or value changes nothing and stores nothing."""

from __future__ import annotations

import io

import pytest

from portal.branding import store
from portal.branding.brand import DEFAULT_ACCENT
from portal.extensions import db
from portal.storage import client as s3
from portal.storage import keys
from tests.branding import logos
from tests.factories import login
from tests.helpers import csrf

PAGE = "/settings/organisation/"


def post_branding(client, logo: bytes | None = None, **fields):
    data = {"csrf_token": csrf(client, PAGE), "accent": "#E4007C", "footer": "Acme Ltd · No 1"}
    data |= fields
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), "logo.svg")
    return client.post(
        "/settings/organisation/branding", data=data, content_type="multipart/form-data"
    )


def branding_of(organization):
    db.session.expire_all()
    return store.of(organization)


def test_an_admin_sets_the_logo_colour_and_footer_and_sees_the_logo(client, world, bucket):
    login(client, "admin@acme.test")
    assert "Organisation settings" in client.get(PAGE).get_data(as_text=True)

    answer = post_branding(client, logos.svg())

    assert answer.status_code == 303
    branding = branding_of(world.org_a)
    assert (branding.accent, branding.footer) == ("#e4007c", "Acme Ltd · No 1")
    logo = client.get("/settings/organisation/logo.png")
    assert logo.status_code == 200 and logo.data == s3.get_bytes(branding.logo_key)
    assert logo.data.startswith(b"\x89PNG")
    assert branding_of(world.org_b) == store.of(world.org_b)
    assert branding_of(world.org_b).logo_sha256 is None

    post_branding(client, accent=DEFAULT_ACCENT, footer="", remove_logo="y")
    assert branding_of(world.org_a) == type(branding)(world.org_a.id)
    assert client.get("/settings/organisation/logo.png").status_code == 404


@pytest.mark.parametrize(
    "fields, logo, says",
    [
        ({}, logos.svg("<script>alert(1)</script>"), "may not carry scripts"),
        ({}, b"GIF89a", "must be a PNG, JPEG or SVG"),
        ({"accent": "red"}, None, "Pick a colour"),
        ({"accent": "#e4007c;}body{x"}, None, "Pick a colour"),
        ({"footer": "two\nlines"}, None, "one line"),
        ({"footer": "x" * 201}, None, "200 characters"),
    ],
    ids=["script svg", "gif", "named colour", "css injection", "newline", "long footer"],
)
def test_a_refused_field_says_why_and_changes_and_stores_nothing(
    client, world, bucket, fields, logo, says
):
    login(client, "admin@acme.test")
    answer = post_branding(client, logo, **fields)
    assert answer.status_code == 400
    assert says in answer.get_data(as_text=True)
    assert branding_of(world.org_a).accent == DEFAULT_ACCENT
    assert s3.list_keys(keys.BRANDING) == []


def test_members_and_other_people_get_404_from_every_settings_url(app, client, world, bucket):
    urls = [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PAGE[:-1])]
    assert len(urls) == 6  # the page, branding, logo, handover PDFs, signing key, remove member
    for who in ("member@acme.test", "member@bravo.test"):
        login(client, who)
        for url in urls:
            assert client.get(url).status_code in (404, 405), (who, url)
        assert post_branding(client, logos.svg()).status_code == 404
        client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert branding_of(world.org_a).logo_sha256 is None
