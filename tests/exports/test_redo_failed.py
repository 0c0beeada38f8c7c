"""Redo only what failed: an export whose records could not all be rendered offers a new
export of exactly those, which says which export it completes; the portal and the API."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Export, ExportEvent, ExportItem, ExportLink, ExportStatus
from portal.storage import client as s3
from tests import factories
from tests.factories import login, member_exports
from tests.helpers import csrf, reload
from tests.polling import wait_until


def finished(export_id: int) -> Export:
    done = (ExportStatus.COMPLETED, ExportStatus.FAILED)
    return wait_until(lambda: (e := reload(export_id)).status in done and e, timeout=120)


def record_pdfs(export: Export) -> list[str]:
    archive = zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))
    return sorted(n for n in archive.namelist() if n.endswith(".pdf") and n != "00-INDEX.pdf")


def test_two_corrupt_photos_then_fixed_are_exported_again_alone(
    app, client, world, project_records, worker, bucket
):
    records = project_records(6, photo_every=3)
    broken = [records[0], records[3]]
    good = {r.attachments[0].rendition_key: s3.get_bytes(r.attachments[0].rendition_key)
            for r in broken}  # fmt: skip
    for key in good:
        s3.put_bytes(key, b"not a jpeg at all", "image/jpeg")
    export = member_exports(client, world, records)
    with worker():
        export = finished(export.id)
        assert export.status == ExportStatus.COMPLETED and export.warnings == 2
        page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
        assert "Export the 2 records that failed" in page
        for key, data in good.items():  # the photos are fixed
            s3.put_bytes(key, data, "image/jpeg")
        token = csrf(client)
        asked = client.post(f"/exports/{export.public_id}/redo", data={"csrf_token": token})
        assert asked.status_code == 303
        again = client.post(f"/exports/{export.public_id}/redo", data={"csrf_token": token})
        assert again.headers["Location"] == asked.headers["Location"]  # one redo per export
        redo = db.session.scalar(select(Export).where(Export.completes_id == export.id))
        redo = finished(redo.id)
    assert redo.status == ExportStatus.COMPLETED and redo.warnings == 0, redo.error
    assert redo.total == 2 and redo.options["paper"] == export.options["paper"]
    names = record_pdfs(redo)
    assert len(names) == 2
    assert all(any(r.reference in name for name in names) for r in broken)
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "This export completes" in page and f"/exports/{export.public_id}" in page
    old_page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "Export the 2 records" not in old_page and f"/exports/{redo.public_id}" in old_page
    assert db.session.scalar(select(func.count()).select_from(Export)) == 2


def failed_export(world, state=ExportStatus.COMPLETED, failures=2, **columns) -> Export:
    """A ready export of 3 records whose first `failures` have no PDF, as an attempt notes it."""
    export = factories.export_in(state, world.member_a, world.project_a, records=3, **columns)
    export.warnings = failures
    items = sorted(export.items, key=lambda item: item.record_id)
    for item in items[:failures]:
        item.error = "photo 1 (site.jpg) is damaged"
    db.session.commit()
    return export


def test_the_api_redoes_once_per_key_and_per_export(app, client, world):
    export = failed_export(world)
    headers = {**factories.bearer(factories.api_key(world.member_a)), "Idempotency-Key": "k-1"}
    etag = client.get(f"/api/v1/exports/{export.public_id}", headers=headers).headers["ETag"]
    first = client.post(f"/api/v1/exports/{export.public_id}/redo", headers=headers)
    assert first.status_code == 202, first.get_json()
    body = first.get_json()
    assert body["completes"] == export.public_id and body["records"] == 2
    again = client.post(f"/api/v1/exports/{export.public_id}/redo", headers=headers)
    assert again.status_code == 202 and again.get_json()["id"] == body["id"]
    asked_again = {**headers, "If-None-Match": etag}  # the old export's links changed: no 304
    shown = client.get(f"/api/v1/exports/{export.public_id}", headers=asked_again).get_json()
    assert shown["links"]["redo"] is None and shown["links"]["redone_as"].endswith(body["id"])
    new = db.session.scalar(select(Export).where(Export.completes_id == export.id))
    items = db.session.scalars(select(ExportItem.record_id).where(ExportItem.export_id == new.id))
    failed = select(ExportItem.record_id).where(
        ExportItem.export_id == export.id, ExportItem.error.is_not(None)
    )
    assert set(items) == set(db.session.scalars(failed))
    assert db.session.scalar(
        select(func.count()).where(ExportEvent.export_id == export.id, ExportEvent.kind == "redone")
    )


def test_the_api_offers_redo_only_while_something_failed(app, client, world):
    headers = factories.bearer(factories.api_key(world.member_a))
    export = failed_export(world)
    shown = client.get(f"/api/v1/exports/{export.public_id}", headers=headers).get_json()
    assert shown["links"]["redo"].endswith(f"/exports/{export.public_id}/redo")
    clean = failed_export(world, failures=0)
    refused = client.post(f"/api/v1/exports/{clean.public_id}/redo", headers=headers)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "Nothing in this export failed" in refused.get_json()["detail"]


def test_another_organisation_gets_404_from_every_redo_door(app, client, world):
    export = failed_export(world)
    login(client, world.member_b.email)
    portal = client.post(f"/exports/{export.public_id}/redo", data={"csrf_token": csrf(client)})
    api = client.post(
        f"/api/v1/exports/{export.public_id}/redo",
        headers=factories.bearer(factories.api_key(world.member_b)),
    )
    assert portal.status_code == 404 and api.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Export)) == 1


def test_an_expired_export_redoes_its_failed_links_and_a_failed_one_is_refused(app, client, world):
    export = failed_export(world, ExportStatus.EXPIRED, failures=1, files=1, total=4)
    db.session.add(ExportLink(export_id=export.id, position=0, url="https://example.com/a.pdf",
                              error="the server answered 404"))  # fmt: skip
    export.warnings = 2
    db.session.commit()
    login(client, world.member_a.email)
    page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "Export the 1 record and 1 link that failed" in page
    token = csrf(client)
    assert (
        client.post(f"/exports/{export.public_id}/redo", data={"csrf_token": token}).status_code
        == 303
    )
    new = db.session.scalar(select(Export).where(Export.completes_id == export.id))
    assert (new.total, new.files) == (2, 1) and new.links[0].url == "https://example.com/a.pdf"
    failed = failed_export(world, ExportStatus.FAILED)
    refused = client.post(f"/exports/{failed.public_id}/redo", data={"csrf_token": token})
    assert refused.status_code == 409
