"""The Verify page's answers: a record PDF or a zip by its exact sha256, a version by its code,
and nothing for a digest Sitepack never made. In the browser: tests/e2e/test_verify_browser.py"""

from __future__ import annotations

from portal.extensions import db
from portal.models import ExportStatus
from portal.renders import codes, issued
from tests import factories

PDF_DIGEST = "ab" * 32


def issue(world, record, version: int = 1) -> None:
    made = issued.Made(PDF_DIGEST, record.organization_id, record.id, record.reference, version)
    issued.remember([made, made])  # a PDF made twice is one PDF


def check(client, digest: str):
    return client.get(f"/verify/check?sha256={digest}", headers={"Accept": "application/json"})


def test_a_code_is_the_same_for_one_version_and_unguessable_across_versions(app):
    first = codes.code_for(1, 2, 3)

    assert first == codes.code_for(1, 2, 3) and codes.CODE.fullmatch(first)
    assert (
        len({first, codes.code_for(1, 2, 4), codes.code_for(1, 3, 3), codes.code_for(2, 2, 3)}) == 4
    )
    assert codes.verify_url(1, 2, 3) == f"{app.config['PUBLIC_BASE_URL']}/v/{first}"


def test_a_record_pdf_is_named_by_its_exact_digest_only(app, world):
    record = factories.record(world.project_a)
    db.session.commit()
    issue(world, record, version=1)
    record.title = "Slab pour, after repair"  # the record moves on to version 2
    db.session.commit()
    client = app.test_client()

    answer = check(client, PDF_DIGEST).get_json()
    near_miss = check(client, "ab" * 31 + "ac").get_json()

    assert answer["authentic"] and answer["kind"] == "record"
    assert (answer["reference"], answer["version"], answer["current_version"]) == (
        record.reference, 1, 2,
    )  # fmt: skip
    assert answer["organization"] == world.org_a.name and answer["made_at"]
    assert near_miss == {"authentic": False} | {k: None for k in near_miss if k != "authentic"}


def test_a_zip_is_named_by_the_sha256_its_email_and_manifest_give(app, world):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a, 1)

    answer = check(app.test_client(), export.parts[0].sha256.upper()).get_json()

    assert (answer["authentic"], answer["kind"], answer["part"]) == (True, "zip", 1)
    assert answer["organization"] == world.org_a.name and answer["reference"] is None


def test_a_malformed_digest_is_a_clear_400(app):
    response = check(app.test_client(), "not-a-digest")

    assert response.status_code == 400 and "64 hexadecimal" in response.get_json()["detail"]


def test_the_qr_link_opens_the_version_it_names_to_anyone(app, world):
    record = factories.record(world.project_a)
    db.session.commit()
    issue(world, record)
    code = codes.code_for(record.organization_id, record.id, 1)
    client = app.test_client()

    page = client.get(f"/v/{code}").get_data(as_text=True)

    assert f"<strong>{record.reference}</strong> version 1" in page
    assert "the file never leaves your computer" in page
    assert client.get("/v/" + "a" * 16).status_code == 404
    assert client.get("/v/" + code.upper()).status_code == 404
