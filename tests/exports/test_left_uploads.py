"""The multipart uploads an export's earlier attempts left unfinished are aborted: by the
attempt that takes over, and, when storage refused that, by the recovery pass once it can.

Against rclone's S3 (real multipart uploads, listed afterwards) and a real worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import queues
from portal.models import Export, utcnow
from portal.storage import client as s3
from portal.storage import keys
from tests import factories
from tests.helpers import listed_uploads, reload
from tests.polling import wait_until

DONE = ("completed", "failed")


@pytest.fixture
def s3_endpoint(flaky_s3):
    """Each test's own endpoint, which one test takes down for a while."""
    return flaky_s3.endpoint


def killed_mid_upload(world, project_records) -> Export:
    """A processing export whose attempt 1 stopped beating with its zip's upload unfinished,
    as when its work-horse is SIGKILLed mid-upload: a part sent, never completed or aborted."""
    stale = utcnow() - timedelta(minutes=5)
    export = factories.export_in(
        "processing", world.member_a, world.project_a, project_records(3, photo_every=0),
        attempt=1, started_at=stale, heartbeat_at=stale,
    )  # fmt: skip
    key = keys.export_zip(export.organization_id, export.public_id, 1, "Sitepack-dead.zip")
    upload = s3.boto().create_multipart_upload(Bucket=s3.bucket(), Key=key)
    s3.boto().upload_part(
        Bucket=s3.bucket(), Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024
    )
    assert listed_uploads() == [key]
    return export


def uploads_of(export: Export) -> list[str]:
    return [key for key in listed_uploads() if keys.export_of(key) == export.public_id]


def test_the_attempt_that_takes_over_aborts_the_upload_the_killed_one_left(
    world, project_records, worker
):
    export = killed_mid_upload(world, project_records)
    with worker():
        queues.enqueue_export(export)
        export = wait_until(lambda: (e := reload(export.id)).status in DONE and e, timeout=120)

    assert (export.status, export.attempt) == ("completed", 2), export.error
    assert uploads_of(export) == []
    assert export.abort_uploads_below is None


def test_an_abort_storage_refused_is_retried_by_the_recovery_pass_until_it_succeeds(
    world, project_records, worker, flaky_s3
):
    export = killed_mid_upload(world, project_records)
    flaky_s3.down()
    with worker():
        queues.enqueue_export(export)  # attempt 2 takes over, cannot abort, fails on storage
        export = wait_until(lambda: (e := reload(export.id)).status in DONE and e, timeout=120)
        assert (export.status, export.attempt) == ("failed", 2)
        assert export.abort_uploads_below is not None  # still owed
        flaky_s3.up()
        wait_until(lambda: reload(export.id).abort_uploads_below is None, timeout=60)

    assert uploads_of(export) == []
