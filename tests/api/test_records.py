"""Projects and records through the API: listing with the records page's filters and a
cursor, the owner's upsert (the version moves only on change) and photo upload."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from rq import Queue

from portal import queues
from portal.extensions import db
from portal.models import Attachment, Record
from portal.storage import client as s3
from tests import factories
from tests.api.calls import assert_problem, at_once

RECORD = {
    "kind": "issue",
    "title": "Crack in slab",
    "status": "open",
    "location": "Level 3, grid C4",
    "trade": "Concrete",
    "assignee": "Sam Site",
    "due_date": "2026-04-01",
    "description": "Hairline crack along the pour joint.",
    "checklist": [{"label": "Photographed", "result": "pass", "comment": ""}],
}


def prerender_jobs() -> int:
    return Queue(queues.RENDERS, connection=queues.connection()).count


def records_url(world, ref: str = "") -> str:
    base = f"/api/v1/projects/{world.project_a.public_id}/records"
    return f"{base}/{ref}" if ref else base


def test_projects_list_with_counts(api, world):
    factories.records(world.project_a, 3)[0].status = "closed"
    db.session.commit()
    [project] = api.get("/api/v1/projects").get_json()["items"]
    assert (project["id"], project["records"], project["open_records"]) == (
        world.project_a.public_id,
        3,
        2,
    )


def test_records_are_listed_filtered_and_paged_by_cursor(api, world):
    made = factories.records(world.project_a, 9)
    db.session.commit()
    issues = [r.public_id for r in made if r.kind == "issue"]
    seen, url = [], records_url(world) + "?kind=issue&limit=1"
    while url:
        page = api.get(url).get_json()
        seen += [item["id"] for item in page["items"]]
        url = page["next"] and page["next"].removeprefix("http://sitepack.test")
        assert url is None or "kind=issue" in url
    assert seen == issues


def test_records_filter_by_text_and_creation_date(api, world):
    made = factories.records(world.project_a, 4)
    made[2].title = "Balcony balustrade"
    db.session.commit()
    found = api.get(records_url(world) + "?q=balcony").get_json()["items"]
    assert [item["external_ref"] for item in found] == [made[2].reference]
    day = made[1].created_at.date().isoformat()
    dated = api.get(records_url(world) + f"?created_from={day}&created_to={day}").get_json()
    assert {item["id"] for item in dated["items"]} == {
        r.public_id for r in made if r.created_at.date() == made[1].created_at.date()
    }


def test_a_put_creates_the_record_and_queues_it_for_pre_rendering(api, world):
    response = api.put(records_url(world, "FA-1001"), json=RECORD)
    assert response.status_code == 201
    out = response.get_json()
    assert (out["external_ref"], out["version"], out["title"]) == ("FA-1001", 1, "Crack in slab")
    assert out["checklist"] == RECORD["checklist"] and out["due_date"] == "2026-04-01"
    record = Record.query.one()
    assert (record.project_id, record.organization_id) == (world.project_a.id, world.org_a.id)
    assert prerender_jobs() == 1


def test_the_same_put_again_changes_nothing(api, world):
    api.put(records_url(world, "FA-1001"), json=RECORD)
    updated_at = Record.query.one().updated_at
    again = api.put(records_url(world, "FA-1001"), json=RECORD)
    assert again.status_code == 200 and again.get_json()["version"] == 1
    db.session.expire_all()
    assert Record.query.one().updated_at == updated_at
    assert prerender_jobs() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Crack in slab, widening"},
        {"due_date": None},
        {"checklist": [{"label": "Photographed", "result": "fail", "comment": "blurred"}]},
        {"checklist": []},
    ],
)
def test_a_changed_put_bumps_the_version_and_queues_a_render(api, world, change):
    api.put(records_url(world, "FA-1001"), json=RECORD)
    response = api.put(records_url(world, "FA-1001"), json={**RECORD, **change})
    assert response.status_code == 200
    assert response.get_json()["version"] == 2
    for name, value in change.items():
        assert response.get_json()[name] == value
    assert prerender_jobs() == 2


def test_an_existing_record_is_replaced_by_its_reference(api, world):
    record = factories.record(world.project_a)
    db.session.commit()
    response = api.put(records_url(world, record.reference), json=RECORD)
    assert response.status_code == 200
    assert response.get_json()["id"] == record.public_id
    assert Record.query.count() == 1


def test_a_bad_record_is_422_with_its_fields_and_writes_nothing(api, world):
    bad = {**RECORD, "kind": "memo", "checklist": [{"label": "", "result": "maybe"}], "extra": 1}
    body = assert_problem(api.put(records_url(world, "FA-1"), json=bad), 422, "validation")
    fields = {error["field"] for error in body["errors"]}
    assert {
        "body.kind",
        "body.checklist.0.label",
        "body.checklist.0.result",
        "body.extra",
    } <= fields
    too_long = api.put(records_url(world, "R" * 21), json=RECORD)
    assert "external_ref" in assert_problem(too_long, 422, "validation")["detail"]
    assert Record.query.count() == 0 and prerender_jobs() == 0


def photo(size: tuple[int, int] = (320, 240), noise: bool = False) -> bytes:
    """A JPEG; with noise it barely compresses (a large upload)."""
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (120, 140, 160))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def post_photo(api, world, data: bytes, ref: str = "FA-1001", caption: str = "North face"):
    form = {"photo": (io.BytesIO(data), "north.jpg"), "caption": caption}
    return api.post(records_url(world, ref) + "/photos", data=form)


def test_a_photo_is_stored_with_its_rendition_and_moves_the_version(api, world, bucket):
    api.put(records_url(world, "FA-1001"), json=RECORD)
    big = photo((700, 700), noise=True)
    assert len(big) > 256 * 1024  # past MAX_CONTENT_LENGTH: photos have their own limit
    response = post_photo(api, world, big)
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert (out["filename"], out["caption"], out["byte_size"]) == (
        "north.jpg",
        "North face",
        len(big),
    )
    attachment = Attachment.query.one()
    assert s3.boto().head_object(Bucket=bucket, Key=attachment.storage_key)
    assert s3.boto().head_object(Bucket=bucket, Key=attachment.rendition_key)
    shown = api.get(records_url(world)).get_json()["items"][0]
    assert shown["version"] == 2 and [p["id"] for p in shown["photos"]] == [out["id"]]
    assert prerender_jobs() == 2


def test_bytes_that_are_not_a_photo_are_422_and_store_nothing(api, world, bucket):
    api.put(records_url(world, "FA-1001"), json=RECORD)
    response = post_photo(api, world, b"not a photo at all")
    assert "not a photo" in assert_problem(response, 422, "validation")["detail"]
    assert Attachment.query.count() == 0
    assert s3.list_keys("attachments/") == []
    assert Record.query.one().version == 1


def test_a_photo_over_the_limit_is_413(app, api, world, bucket):
    app.config["API_PHOTO_MAX_BYTES"] = 100_000
    api.put(records_url(world, "FA-1001"), json=RECORD)
    assert_problem(post_photo(api, world, photo((400, 400), noise=True)), 413, "too-large")
    assert Attachment.query.count() == 0


def test_a_photo_needs_the_photo_field_and_an_existing_record(api, world, bucket):
    api.put(records_url(world, "FA-1001"), json=RECORD)
    no_file = api.post(
        records_url(world, "FA-1001") + "/photos",
        data={"caption": "x"},
        content_type="multipart/form-data",
    )
    assert_problem(no_file, 422, "validation")
    assert_problem(post_photo(api, world, photo(), ref="FA-404"), 404, "not-found")


def test_concurrent_puts_of_a_new_reference_make_one_record(app, api, world):
    """The (project, reference) constraint decides; the others replace the winner's row."""
    count, headers = 6, factories.bearer(api.secret)
    answers = at_once(app, count, "PUT", records_url(world, "FA-2001"), headers, json=RECORD)
    assert sorted(a.status_code for a in answers) == [200] * (count - 1) + [201]
    assert Record.query.count() == 1 and Record.query.one().version == 1


def test_nul_characters_are_refused_not_stored(api, world, bucket):
    """PostgreSQL cannot store them: a 422 names the field instead of a failed INSERT."""
    bad = {**RECORD, "title": "Crack\x00", "checklist": [{"label": "a\x00", "result": "pass"}]}
    body = assert_problem(api.put(records_url(world, "FA-1"), json=bad), 422, "validation")
    assert {e["field"] for e in body["errors"]} == {"body.title", "body.checklist.0.label"}
    api.put(records_url(world, "FA-1"), json=RECORD)
    response = post_photo(api, world, photo(), ref="FA-1", caption="north\x00face")
    assert_problem(response, 422, "validation")
    assert Attachment.query.count() == 0
