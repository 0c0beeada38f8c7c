"""Re-order knows what changed: the page says how many of the export's records changed since
and names them (a bounded list), and while the render cache holds every PDF the export held
it can be made again "as they were", from those PDFs, rendering nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

from sqlalchemy import delete, select, update

from portal.extensions import db
from portal.models import Export, ExportItem, ExportStatus, RenderedPdf, utcnow
from portal.storage import client as s3
from tests import factories
from tests.factories import login, member_exports
from tests.helpers import csrf, reload
from tests.polling import wait_until


def finished(export_id: int) -> Export:
    done = (ExportStatus.COMPLETED, ExportStatus.FAILED)
    return wait_until(lambda: (e := reload(export_id)).status in done and e, timeout=120)


def expire(export: Export) -> None:
    export.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()


def zip_of(export: Export) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))


def test_a_re_order_as_they_were_holds_the_earlier_pdf_of_a_changed_record(
    app, client, world, project_records, worker
):
    records = project_records(3, photo_every=0)
    export = member_exports(client, world, records)
    with worker():
        export = finished(export.id)
        assert export.status == ExportStatus.COMPLETED, export.error
        items = {i.record_id: i for i in db.session.scalars(select(ExportItem))}
        assert all(i.version == 1 and i.fingerprint and i.error is None for i in items.values())
        changed = records[1]
        changed.title = "Stair core B — level 3 (revised)"
        db.session.commit()
        expire(export)
        page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
        assert "1 of 3 records changed since" in page
        assert changed.reference in page and "Stair core B — level 3 (revised)" in page
        assert 'name="as_they_were" value="1"' in page
        asked = client.post(
            f"/exports/{export.public_id}/reorder",
            data={"csrf_token": csrf(client), "as_they_were": "1"},
        )
        assert asked.status_code == 303
        new = finished(
            db.session.scalar(select(Export.id).where(Export.reordered_from_id == export.id))
        )
    assert new.status == ExportStatus.COMPLETED and new.warnings == 0, new.error
    assert new.options["as_they_were"] is True and new.cache_hits == 3
    archive = zip_of(new)
    manifest = {row["reference"]: row for row in csv.DictReader(
        io.StringIO(archive.read("MANIFEST.csv").decode("utf-8-sig")))}  # fmt: skip
    row = manifest[changed.reference]
    earlier = db.session.scalar(
        select(RenderedPdf.sha256).where(RenderedPdf.fingerprint == items[changed.id].fingerprint)
    )
    assert hashlib.sha256(archive.read(row["file"])).hexdigest() == earlier
    assert row["version"] == "1"
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "with its records as they were then" in page


def expired_export(world, records: int = 3) -> Export:
    export = factories.export_in(ExportStatus.EXPIRED, world.member_a, world.project_a, records)
    db.session.execute(
        update(ExportItem).where(ExportItem.export_id == export.id).values(version=1)
    )
    db.session.commit()
    return export


def test_the_changed_list_is_bounded_and_counts_the_rest(app, client, world):
    export = expired_export(world, records=25)
    db.session.execute(
        update(ExportItem).where(ExportItem.export_id == export.id).values(version=0)
    )
    db.session.commit()
    login(client, world.member_a.email)
    page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "25 of 25 records changed since" in page
    assert page.count('class="changed-record"') == 20 and "and 5 more." in page
    assert 'name="as_they_were"' not in page  # nothing of it is in the render cache


def test_as_they_were_is_refused_once_the_cache_lost_an_earlier_pdf(app, client, world):
    export = expired_export(world)
    items = db.session.scalars(select(ExportItem).where(ExportItem.export_id == export.id)).all()
    for n, item in enumerate(items):
        item.fingerprint = f"{n:064x}"
        item.version = 0 if n == 0 else 1
        db.session.add(
            RenderedPdf(
                organization_id=export.organization_id,
                record_id=item.record_id,
                fingerprint=item.fingerprint,
                sha256="0" * 64,
                byte_size=1,
            )
        )
    db.session.commit()
    login(client, world.member_a.email)
    page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert "1 of 3 records changed since" in page and 'name="as_they_were" value="1"' in page
    db.session.execute(delete(RenderedPdf).where(RenderedPdf.fingerprint == items[2].fingerprint))
    db.session.commit()
    page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert 'name="as_they_were"' not in page and "uses the records as they are now" in page
    token = csrf(client)
    refused = client.post(
        f"/exports/{export.public_id}/reorder", data={"csrf_token": token, "as_they_were": "1"}
    )
    assert refused.status_code == 409 and "no longer all kept" in refused.get_data(as_text=True)
    assert (
        client.post(f"/exports/{export.public_id}/reorder", data={"csrf_token": token}).status_code
        == 303
    )
    new = db.session.scalar(select(Export).where(Export.reordered_from_id == export.id))
    assert "as_they_were" not in new.options
    assert all(i.fingerprint is None for i in new.items)


def test_the_admins_re_order_confirmation_says_what_changed(app, client, world):
    export = expired_export(world)
    db.session.execute(
        update(ExportItem)
        .where(ExportItem.export_id == export.id, ExportItem.record_id == export.items[0].record_id)
        .values(version=0)
    )
    db.session.commit()
    login(client, world.admin_a.email)
    page = client.get(f"/admin/exports/{export.public_id}/confirm/reorder")
    assert page.status_code == 200
    assert "1 of 3 records changed since" in page.get_data(as_text=True)
