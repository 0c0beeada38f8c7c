"""Asking for a link bundle: the portal's "Bundle links" page and `service.request_bundle`,
which the API's POST /api/v1/bundles calls too."""

from __future__ import annotations

import io

import pytest
import redis
from rq import Queue

from portal import config as settings
from portal import queues
from portal.exports import service
from portal.exports.errors import ExportRequestError
from portal.exports.options import ExportOptions, LinkIn
from portal.models import Export, ExportLink
from portal.storage import keys
from tests.factories import login
from tests.helpers import csrf


def bundle_links(export: Export) -> list[tuple[int, str, str | None]]:
    rows = ExportLink.query.filter_by(export_id=export.id).order_by(ExportLink.position)
    return [(row.position, row.url, row.name) for row in rows]


def post_bundle(client, **form):
    token = csrf(client, "/bundles/new")
    return client.post("/bundles", data={"ttl_hours": "24", "csrf_token": token, **form})


def test_pasted_links_become_a_pending_bundle_each_url_once_under_the_first_name(
    app, client, world
):
    login(client, "member@acme.test")
    text = (
        "https://docs.test/A-101.pdf\tDrawings/A-101 rev C.pdf\n"
        "\n"
        "https://docs.test/spec.pdf\n"
        "https://docs.test/A-101.pdf  another name\n"
    )
    response = post_bundle(
        client, name="Handover  pack", links=text, project=world.project_a.public_id
    )

    export = Export.query.one()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/exports/{export.public_id}")
    assert (export.kind, export.total, export.status) == ("bundle", 2, "pending")
    assert export.project_id == world.project_a.id
    assert export.options == {
        "paper": "A4", "include_originals": False, "name": "Handover pack", "ttl_hours": 24,
        "namespace": keys.PORTAL_NAMESPACE,
    }  # fmt: skip
    assert bundle_links(export) == [
        (0, "https://docs.test/A-101.pdf", "Drawings/A-101 rev C.pdf"),
        (1, "https://docs.test/spec.pdf", None),
    ]
    lane = Queue(export.queue_name, connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    assert lane.job_ids == [queues.job_id(export)]


def test_a_csv_upload_adds_its_rows_header_or_not(app, client, world):
    login(client, "member@acme.test")
    data = b"url,name\r\nhttps://docs.test/a.pdf,Certificates/a.pdf\r\nhttps://docs.test/b.pdf\r\n"
    response = post_bundle(
        client, name="Certs", links="", csv=(io.BytesIO(data), "links.csv"), ttl_hours="48"
    )

    export = Export.query.one()
    assert response.status_code == 303
    assert export.project_id is None and export.options["ttl_hours"] == 48
    assert bundle_links(export) == [
        (0, "https://docs.test/a.pdf", "Certificates/a.pdf"),
        (1, "https://docs.test/b.pdf", None),
    ]


def test_a_refused_bundle_shows_the_form_again_with_what_was_typed(app, client, world):
    login(client, "member@acme.test")
    text = "https://docs.test/a.pdf\nnot a link"

    response = post_bundle(client, name="Handover", links=text, project=world.project_a.public_id)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 2: “not” is not an http:// or https:// URL." in page
    assert ">https://docs.test/a.pdf\nnot a link</textarea>" in page
    assert 'value="Handover"' in page
    assert f'<option value="{world.project_a.public_id}" selected>' in page
    assert Export.query.count() == 0


def test_the_page_offers_the_users_projects_and_lifetimes_up_to_the_export_ttl(client, world):
    login(client, "member@acme.test")

    page = client.get("/bundles/new").get_data(as_text=True)

    assert world.project_a.name in page and world.project_b.name not in page
    assert '<option value="24" selected>24 hours</option>' in page
    assert '<option value="168">7 days</option>' in page and '"336"' not in page
    assert 'href="/bundles/new">Bundle links</a>' in page


def test_the_same_bundle_asked_twice_while_live_is_reused(app, world):
    links = [LinkIn("https://docs.test/a.pdf"), LinkIn("https://docs.test/b.pdf", "B.pdf")]
    first = service.request_bundle(world.member_a, None, "Pack", links)
    again = service.request_bundle(world.member_a, None, "Pack", links)
    renamed = service.request_bundle(world.member_a, None, "Pack", links[:1])

    assert (first.reused, again.reused, renamed.reused) == (False, True, False)
    assert again.export.id == first.export.id != renamed.export.id


def test_an_api_bundle_goes_under_its_keys_namespace_and_its_own_lifetime(app, world):
    namespace = keys.api_key_namespace("stored-hash-of-the-key")
    result = service.request_bundle(
        world.member_a, None, "From the API", [LinkIn("https://docs.test/a.pdf")], 72, namespace
    )

    assert result.export.options["namespace"] == namespace
    assert ExportOptions.of(result.export).ttl.total_seconds() == 72 * 3600


@pytest.mark.parametrize(
    ("links", "says"),
    [
        ([], "Add at least one link to bundle."),
        ([LinkIn("https://docs.test/a.pdf"), LinkIn("file:///etc/passwd")], "Link 2: “file:///"),
        ([LinkIn("https://docs.test/a.pdf", "x" * 256)], "Link 1: the name is longer than 255"),
    ],
)
def test_the_service_refuses_bad_links_naming_their_position(app, world, links, says):
    with pytest.raises(ExportRequestError, match=says) as refused:
        service.request_bundle(world.member_a, None, "Pack", links)

    assert refused.value.status == 400
    assert Export.query.count() == 0


def test_a_project_of_another_organisation_is_refused_by_the_service(app, world):
    with pytest.raises(ExportRequestError) as refused:
        service.request_bundle(
            world.member_a, world.project_b, "Pack", [LinkIn("https://docs.test/a.pdf")]
        )

    assert refused.value.status == 404
    assert Export.query.count() == 0


@pytest.mark.parametrize("hours", [0, 169])
def test_a_default_bundle_lifetime_past_the_export_ttl_stops_start_up(hours):
    config = {"TESTING": True, "REDIS_URL": "redis://x", "EXPORT_TTL_HOURS": 168}
    with pytest.raises(settings.ConfigError, match="BUNDLE_TTL_HOURS is"):
        settings.finalise({**config, "BUNDLE_TTL_HOURS": hours})


def test_a_thousand_long_links_fit_the_form_though_other_forms_stay_small(app, client, world):
    login(client, "member@acme.test")
    text = "\n".join(f"https://docs.test/{n:04d}/" + "a" * 1000 for n in range(1000))  # 1 MB
    token = csrf(client, "/bundles/new")
    form = {"name": "Long links", "ttl_hours": "24", "links": text, "csrf_token": token}

    bundled = client.post("/bundles", data=form, content_type="multipart/form-data")
    elsewhere = client.post(
        "/exports", data={"project": world.project_a.public_id, "links": text, "csrf_token": token}
    )

    assert bundled.status_code == 303
    assert Export.query.one().total == 1000
    assert elsewhere.status_code == 413
