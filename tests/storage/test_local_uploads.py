"""Uploads that the laptop's rclone endpoint forgot at a restart: its API lists them no more,
their parts stay on disk (118 MB after two faults), so they are found there and deleted, and
nothing else on disk is ever touched."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from jobs.sweep import run_sweep
from portal import config as settings
from portal.models import ReconcileRun
from portal.storage import client as s3
from portal.storage import keys, reconcile
from tests import factories
from tests.polling import wait_until
from tests.servers import RcloneS3, free_port

KEY = "exports/1/crashed/attempt-1/crashed.zip"
PART = b"p" * (5 * s3.MiB)  # S3's smallest part but the last


@pytest.fixture
def local_s3(tmp_path):
    """An rclone endpoint of this test's own, so that it can be restarted: `local_s3()`."""
    root, port, running = tmp_path / "s3", free_port(), []
    root.mkdir()

    def restart():
        if running:
            running.pop().__exit__(None, None, None)
        running.append(RcloneS3(root, port))
        return running[-1].__enter__()

    restart.endpoint = restart()
    yield restart
    running.pop().__exit__(None, None, None)


@pytest.fixture
def app_overrides(local_s3):
    endpoint = local_s3.endpoint
    return {"S3_ENDPOINT_URL": endpoint.url, "S3_LOCAL_ROOT": str(endpoint.root)}


@pytest.fixture(autouse=True)
def bucket(app):
    s3.ensure_bucket()


def crashed_upload(key: str = KEY) -> tuple[str, Path]:
    """An upload with two parts sent and no one left to complete it; the file rclone keeps."""
    api = s3.boto()
    upload_id = api.create_multipart_upload(Bucket=s3.bucket(), Key=key)["UploadId"]
    for number, body in ((1, PART), (2, b"last part")):
        api.upload_part(
            Bucket=s3.bucket(), Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
    folder = Path(current_app.config["S3_LOCAL_ROOT"]) / s3.bucket()
    return upload_id, folder / Path(key).parent / f".rclone_temp_multipart_{upload_id}"


def hours_old(path: Path, hours: float = 7) -> Path:
    then = time.time() - hours * 3600
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def test_an_upload_forgotten_at_a_restart_is_reported_then_deleted_from_disk(app, local_s3):
    _, parts = crashed_upload()
    wait_until(lambda: parts.stat().st_size >= s3.MiB)  # rclone writes parts as they come
    local_s3()
    hours_old(parts)
    mib = parts.stat().st_size / s3.MiB

    dry = app.test_cli_runner().invoke(args=["storage", "reconcile", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "abort stale multipart upload" not in dry.output  # the endpoint forgot it
    assert f"would delete {parts}" in dry.output and "stale uploads: 1" in dry.output
    assert parts.exists()

    fix = app.test_cli_runner().invoke(args=["storage", "reconcile"])
    assert fix.exit_code == 0, fix.output
    assert not parts.exists()
    run = reconcile.last_run()
    assert (run.dry_run, run.stale_uploads) == (False, 1)
    assert f"1 uploads the local endpoint forgot left {mib:.1f} MiB of parts" in run.note
    assert reconcile.run().clean


def test_the_sweeper_deletes_only_old_rclone_part_files_under_the_buckets_exports(app, local_s3):
    _, forgotten = crashed_upload()
    _, recent = crashed_upload("exports/1/recent/attempt-1/recent.zip")
    local_s3()
    hours_old(forgotten)
    root = Path(app.config["S3_LOCAL_ROOT"])
    outside = root.parent / "precious.bin"
    outside.write_bytes(b"precious")
    keep = [
        root / "other-bucket" / "exports" / "1" / ".rclone_temp_multipart_other",
        root / s3.bucket() / "attachments" / "1" / ".rclone_temp_multipart_photo",
        root / s3.bucket() / "exports" / "1" / "notes" / "attempt-1" / "notes.txt",
    ]
    for path in keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not the sweeper's")
        hours_old(path)
    link = root / s3.bucket() / "exports" / "1" / ".rclone_temp_multipart_link"
    link.symlink_to(outside)
    hours_old(link)

    assert run_sweep()["uploads_aborted"] == 1
    assert not forgotten.exists()
    assert recent.exists() and link.is_symlink() and outside.read_bytes() == b"precious"
    assert all(path.read_bytes() == b"not the sweeper's" for path in keep)


def test_an_upload_the_endpoint_still_lists_is_aborted_and_counted_once(app):
    upload_id, parts = crashed_upload()
    findings = reconcile.run(upload_age=timedelta(0))
    assert findings.uploads.listed == [(KEY, upload_id)]
    assert findings.uploads.forgotten == []
    assert ReconcileRun.query.one().stale_uploads == 1
    assert not parts.exists()


def test_without_s3_local_root_nothing_on_disk_is_touched(app, local_s3):
    _, parts = crashed_upload()
    local_s3()
    hours_old(parts)
    app.config["S3_LOCAL_ROOT"] = None
    assert run_sweep()["uploads_aborted"] == 0
    assert parts.exists()


@pytest.mark.parametrize("endpoint", ["https://api.eu-west-1.amazonaws.com", None])
def test_s3_local_root_for_an_endpoint_elsewhere_stops_start_up(endpoint):
    config = {"TESTING": True, "REDIS_URL": "redis://x", "S3_ENDPOINT_URL": endpoint}
    with pytest.raises(settings.ConfigError, match="unset S3_LOCAL_ROOT"):
        settings.finalise({**config, "S3_LOCAL_ROOT": "/srv/s3"})


def test_a_young_upload_of_a_superseded_attempt_is_stale_and_the_running_attempt_s_is_not(
    app, world
):
    """A killed work-horse's upload is abandoned the moment another attempt takes over, not
    hours later: reconcile reports and aborts it, and leaves the running attempt's alone."""
    export = factories.export_in("processing", world.member_a, world.project_a, 1, attempt=2)
    dead_key, live_key = (
        keys.export_zip(export.organization_id, export.public_id, n, "a.zip") for n in (1, 2)
    )
    dead, _ = crashed_upload(dead_key)
    live, _ = crashed_upload(live_key)

    dry = app.test_cli_runner().invoke(args=["storage", "reconcile", "--dry-run"])
    assert f"would abort stale multipart upload {dead} of {dead_key}" in dry.output
    assert live_key not in dry.output and "stale uploads: 1" in dry.output

    assert run_sweep()["uploads_aborted"] == 1
    listed = s3.boto().list_multipart_uploads(Bucket=s3.bucket()).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in listed] == [(live_key, live)]
