"""`flask storage reconcile`: the bucket and the database brought back into agreement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.models import Export, ExportEvent, ReconcileRun, utcnow
from portal.storage import client as s3
from portal.storage import reconcile
from tests.factories import login
from tests.helpers import listed_uploads, reload


@pytest.fixture
def app(moto_app):
    return moto_app


def stored(make_export, key: str, **values) -> Export:
    s3.put_bytes(key, b"zip", "application/zip")
    return make_export(parts=[key], **values)


def ready(make_export, key: str) -> Export:
    return stored(
        make_export,
        key,
        status="completed",
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1),
    )


def start_upload(key: str) -> str:
    return s3.boto().create_multipart_upload(Bucket=s3.bucket(), Key=key)["UploadId"]


def test_reconcile_fixes_stray_zip_missing_zip_and_stale_upload_then_finds_nothing(
    app, world, make_export
):
    keep = ready(make_export, "exports/1/keep/attempt-1/keep.zip")
    expired = stored(make_export, "exports/1/gone/attempt-1/gone.zip", status="expired")
    s3.put_bytes("exports/1/unknown/attempt-1/x.zip", b"zip", "application/zip")
    missing = make_export(
        status="completed",
        parts=["exports/1/lost/attempt-1/lost.zip"],
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1),
    )
    upload = start_upload("exports/1/crashed/attempt-2/crashed.zip")

    findings = reconcile.run(upload_age=timedelta(0))

    assert findings.stray_objects == [expired.object_keys[0], "exports/1/unknown/attempt-1/x.zip"]
    assert [m.export.public_id for m in findings.missing] == [missing.public_id]
    assert findings.uploads.listed == [("exports/1/crashed/attempt-2/crashed.zip", upload)]
    assert s3.list_keys("exports/") == keep.object_keys
    missing = reload(missing)
    assert missing.status == "failed" and "missing from storage" in missing.error
    assert ExportEvent.query.filter_by(export_id=missing.id, kind="failed").count() == 1
    assert [key for key in listed_uploads() if key.startswith("exports/")] == []
    assert reload(keep).status == "completed"

    again = reconcile.run(upload_age=timedelta(0))
    assert again.clean


def test_zip_of_an_export_still_building_is_left_alone(app, world, make_export):
    building = make_export(status="processing")
    key = f"exports/1/{building.public_id}/attempt-1/new.zip"
    s3.put_bytes(key, b"zip", "application/zip")
    assert reconcile.run().stray_objects == []
    assert s3.exists(key)


def test_dry_run_prints_what_it_would_do_and_changes_nothing(app, world, make_export):
    stray = stored(make_export, "exports/1/old/attempt-1/old.zip", status="revoked")
    missing = make_export(
        status="completed",
        parts=["exports/1/x/attempt-1/x.zip"],
        expires_at=utcnow() + timedelta(days=1),
    )
    result = app.test_cli_runner().invoke(args=["storage", "reconcile", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would delete stray object {stray.object_keys[0]}" in result.output
    assert f"would fail export {missing.public_id}" in result.output
    assert "dry run, nothing changed" in result.output
    assert s3.exists(stray.object_keys[0])
    assert reload(missing).status == "completed"
    assert ReconcileRun.query.one().dry_run is True


def test_reconcile_command_fixes_and_the_queue_page_shows_the_last_result(
    app, client, world, make_export
):
    stored(make_export, "exports/1/old/attempt-1/old.zip", status="failed")
    result = app.test_cli_runner().invoke(args=["storage", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "delete stray object exports/1/old/attempt-1/old.zip" in result.output
    assert "stray objects: 1, missing zips: 0, stale uploads: 0" in result.output
    login(client, "admin@acme.test")
    page = client.get("/admin/queues").get_data(as_text=True)
    section = page[page.index("Storage reconcile") :]
    assert "Stray zips deleted" in section and '<td class="num">1</td>' in section


def test_a_ready_export_missing_one_of_its_three_zips_is_failed_and_says_which(
    app, world, make_export
):
    export = make_export(
        status="completed",
        parts=3,
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1),
    )
    first, second, third = export.object_keys
    for key in (first, third):
        s3.put_bytes(key, b"zip", "application/zip")

    findings = reconcile.run()

    [missing] = findings.missing
    assert missing.export.public_id == export.public_id
    assert [part.object_key for part in missing.parts] == [second]
    assert findings.stray_objects == []
    failed = reload(export)
    assert failed.status == "failed"
    assert (
        failed.error
        == "Part 2 of 3 was missing from storage; select Retry to build the export again."
    )
    again = reconcile.run()  # failed now: its other zips are strays
    assert again.stray_objects == [first, third] and again.missing == []
    assert s3.list_keys("exports/") == []
