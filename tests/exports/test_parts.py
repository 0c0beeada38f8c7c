"""An export stored as several zips ("parts"): every page lists them, each part has its own
download link, and a part that does not exist is a 404 (against rclone's S3, which checks
the presigned URL's signature)."""

from __future__ import annotations

import urllib.request

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.formatting import filesize
from portal.models import Download, Export, ExportStatus
from portal.storage import client as s3
from tests import factories
from tests.factories import login

GB = 1024**3


@pytest.fixture
def three_parts(world, bucket) -> Export:
    """Org A's member's ready export of three zips (11.7 GB in all), each stored with bytes
    of its own so a download shows which part it got."""
    export = factories.export_in(
        ExportStatus.COMPLETED,
        world.member_a,
        world.project_a,
        parts=3,
        byte_size=int(11.7 * GB),
    )
    for part in export.parts:
        s3.put_bytes(part.object_key, f"zip {part.number}".encode(), "application/zip")
    return export


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def assert_links_each_part(html: str, export: Export) -> None:
    for n in (1, 2, 3):
        assert f'href="/exports/{export.public_id}/download?part={n}"' in html


def test_the_status_page_lists_each_part_with_its_own_link(client, three_parts):
    login(client, "member@acme.test")
    html = page(client, f"/exports/{three_parts.public_id}")
    assert "Your export is ready as 3 zips: 11.7 GB in all." in html
    assert_links_each_part(html, three_parts)
    assert "Part 2 of 3 — 3.9 GB" in html
    assert "Download zip</a>" not in html


def test_a_single_zip_export_still_offers_one_download(client, world):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a)
    login(client, "member@acme.test")
    html = page(client, f"/exports/{export.public_id}")
    assert "Your zip is ready: 4.8 MB." in html
    assert f'href="/exports/{export.public_id}/download" download>Download zip</a>' in html
    assert "?part=" not in html and "Part 1 of" not in html


@pytest.mark.parametrize("number", [1, 2, 3])
def test_each_part_downloads_its_own_zip_and_the_log_says_which(client, three_parts, number):
    login(client, "member@acme.test")
    response = client.get(f"/exports/{three_parts.public_id}/download?part={number}")
    assert response.status_code == 302
    assert urllib.request.urlopen(response.headers["Location"]).read() == f"zip {number}".encode()
    assert db.session.scalars(select(Download.part)).all() == [number]


def test_without_a_part_number_the_link_serves_part_one(client, three_parts):
    """Links sent before exports had parts name no part."""
    login(client, "member@acme.test")
    response = client.get(f"/exports/{three_parts.public_id}/download")
    assert urllib.request.urlopen(response.headers["Location"]).read() == b"zip 1"


@pytest.mark.parametrize("bad", ["4", "0", "x", "-1", "01", "1.0", "", "9" * 5000, "²"])
def test_a_part_that_does_not_exist_is_a_404_page_and_records_nothing(client, three_parts, bad):
    login(client, "member@acme.test")
    response = client.get(f"/exports/{three_parts.public_id}/download", query_string={"part": bad})
    assert response.status_code == 404
    assert "no such part" in response.get_data(as_text=True)
    assert db.session.scalars(select(Download)).all() == []


def test_a_head_of_a_part_redirects_and_records_nothing(client, three_parts):
    login(client, "member@acme.test")
    response = client.head(f"/exports/{three_parts.public_id}/download?part=3")
    assert response.status_code == 302
    assert db.session.scalars(select(Download)).all() == []


def test_an_expired_export_refuses_every_part_as_before(client, world, bucket):
    export = factories.export_in(ExportStatus.EXPIRED, world.member_a, world.project_a, parts=3)
    login(client, "member@acme.test")
    for query in ("?part=2", "?part=9"):
        response = client.get(f"/exports/{export.public_id}/download{query}")
        assert response.status_code == 410
        assert "expired" in response.get_data(as_text=True)


def test_the_download_prompt_lists_the_parts_and_starts_none(client, three_parts):
    login(client, "member@acme.test")
    html = page(client, f"/exports/{three_parts.public_id}?download=1")
    prompt = html[html.index('class="card download-prompt"') :].split("</section>")[0]
    assert "Your export is 3 zips" in prompt
    assert_links_each_part(prompt, three_parts)
    assert "data-start-download" not in prompt


def test_my_exports_lists_the_parts_of_a_ready_export(client, three_parts):
    login(client, "member@acme.test")
    html = page(client, "/exports")
    assert filesize(three_parts.byte_size) in html
    assert_links_each_part(html, three_parts)
    assert "Part 3 of 3 — 3.9 GB" in html


def test_the_admin_page_of_the_export_lists_its_parts(client, three_parts):
    login(client, "admin@acme.test")
    html = page(client, f"/admin/exports/{three_parts.public_id}")
    assert "11.7 GB in 3 zips" in html
    assert_links_each_part(html, three_parts)
