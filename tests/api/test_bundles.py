"""POST /api/v1/bundles: links become one zip under the asking key's prefix, through the
export pipeline (a real worker, a loopback file server, rclone's S3); bad input is a problem
document that changes nothing; Idempotency-Key, scopes and tenancy as on /exports."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import requests

from portal.extensions import db
from portal.models import ApiKey, Export, ExportLink
from portal.storage import keys
from tests.api.calls import assert_problem
from tests.outbound.sites import PDF, Site, file
from tests.polling import wait_until

DRAWING, SPEC = PDF + b"A-101 rev C" * 500, PDF + b"Specification" * 800


@pytest.fixture
def site():
    with Site({"/a101.pdf": file(DRAWING), "/spec.pdf": file(SPEC)}) as server:
        yield server


@pytest.fixture
def sitepack_env(sitepack_env, site) -> dict[str, str]:
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": f"127.0.0.1:{site.port}"}


def body(site: Site, **extra) -> dict:
    links = [
        {"url": site.url("/a101.pdf"), "name": "Drawings/A-101 rev C.pdf"},
        {"url": site.url("/spec.pdf")},
        {"url": site.url("/a101.pdf"), "name": "the same URL again: fetched once"},
    ]
    return {"name": "Handover: north tower", "links": links, **extra}


def test_a_bundle_is_fetched_into_a_zip_under_the_keys_prefix(api, world, site, worker, bucket):
    accepted = api.post("/api/v1/bundles", json=body(site, project=world.project_a.public_id))
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    out = accepted.get_json()
    assert (out["kind"], out["name"], out["total"]) == ("bundle", "Handover: north tower", 2)
    assert out["project"] == {"id": world.project_a.public_id, "name": world.project_a.name}
    assert accepted.headers["Location"].endswith(f"/api/v1/exports/{out['id']}")
    assert int(accepted.headers["Retry-After"]) >= 1

    def completed():
        export = api.get(f"/api/v1/exports/{out['id']}").get_json()
        assert export["state"] in ("pending", "processing", "completed"), export["error"]
        return export if export["state"] == "completed" else None

    with worker():
        export = wait_until(completed, timeout=120, interval=0.5)
    [part] = export["parts"]
    row = db.session.scalars(db.select(Export).where(Export.public_id == out["id"])).one()
    namespace = keys.api_key_namespace(db.session.scalars(db.select(ApiKey)).one().secret_hash)
    assert f"/{row.organization_id}/{namespace}/{row.public_id}/" in row.parts[0].object_key
    redirect = api.get(export["links"]["download"])
    assert redirect.status_code == 302
    data = requests.get(redirect.headers["Location"], timeout=30).content
    assert hashlib.sha256(data).hexdigest() == part["sha256"]
    zipped = zipfile.ZipFile(io.BytesIO(data))
    assert zipped.read("Drawings/A-101 rev C.pdf") == DRAWING
    assert zipped.read("spec.pdf") == SPEC
    assert site.hits["/a101.pdf"] == 1


def test_a_bad_link_is_a_problem_naming_it_and_makes_nothing(api, site):
    bad = body(site)
    bad["links"][1]["url"] = "gopher://example.com/spec"
    problem = assert_problem(api.post("/api/v1/bundles", json=bad), 400, "bad-request")
    assert problem["detail"].startswith("Link 2:")
    assert assert_problem(api.post("/api/v1/bundles", json={"name": "x", "links": []}), 422,
                          "validation")["errors"]  # fmt: skip
    assert db.session.scalar(db.select(db.func.count()).select_from(Export)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(ExportLink)) == 0


def test_an_idempotency_key_answers_with_the_first_bundle(api, site):
    headers = {"Idempotency-Key": "handover-north-1"}
    first = api.post("/api/v1/bundles", json=body(site), headers=headers)
    again = api.post("/api/v1/bundles", json=body(site), headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.get_json()["id"] == again.get_json()["id"]
    other = api.post("/api/v1/bundles", json=body(site, ttl_hours=2), headers=headers)
    assert_problem(other, 422, "validation")
    assert db.session.scalar(db.select(db.func.count()).select_from(Export)) == 1


def test_a_read_key_cannot_bundle_and_another_organisations_project_is_missing(caller, world, site):
    reader = caller(world.member_a, scope="read")
    assert_problem(reader.post("/api/v1/bundles", json=body(site)), 403, "forbidden")
    outsider = caller(world.member_b)
    theirs = outsider.post("/api/v1/bundles", json=body(site, project=world.project_a.public_id))
    missing = outsider.post("/api/v1/bundles", json=body(site, project="doesNotExist1234"))
    assert assert_problem(theirs, 404, "not-found")["detail"] == missing.get_json()["detail"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Export)) == 0
