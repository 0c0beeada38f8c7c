"""The last step of an export: the row takes the stored zips, and only a refusal by the row
removes them (against rclone's S3, over HTTP)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from jobs.assemble import Assembled
from jobs.export import complete
from portal.exports import attempts, service
from portal.exports.attempts import AttemptLost, StoredPart
from portal.models import ExportStatus
from portal.storage import client as s3
from tests import factories
from tests.helpers import reload


@pytest.fixture
def claimed(world, bucket):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=1)
    return export, attempts.claim(export.id)


@pytest.fixture
def zipped(claimed) -> Assembled:
    """Two zips this attempt stored, as assemble leaves them."""
    export, attempt = claimed
    parts = []
    for number in (1, 2):
        key = f"exports/{export.organization_id}/{export.public_id}/attempt-1/p{number}.zip"
        s3.put_bytes(key, b"PK\x05\x06" + b"\0" * 18, "application/zip")
        parts.append(StoredPart(number, key, 22, "c" * 64, 1))
    return Assembled(parts, records=2, warnings=0)


def keys() -> list[str]:
    return s3.list_keys("exports/")


def test_the_row_takes_the_stored_zips(claimed, zipped):
    export, attempt = claimed
    complete(attempt, zipped)
    assert reload(export.id).status == ExportStatus.COMPLETED
    assert keys() == reload(export.id).object_keys == [p.object_key for p in zipped.parts]


def test_a_row_that_refuses_the_zips_gets_them_deleted(claimed, zipped):
    export, attempt = claimed
    service.cancel(reload(export.id), reload(export.id).requested_by)
    with pytest.raises(AttemptLost):
        complete(attempt, zipped)
    assert keys() == []


def test_a_completion_whose_answer_was_lost_leaves_the_zips(claimed, zipped, monkeypatch):
    """The database may have committed completed and then dropped the connection: the row
    may point at these objects, so they must stay (reconcile removes them if no row does)."""
    _, attempt = claimed

    def lost_answer(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(attempts, "complete", lost_answer)
    with pytest.raises(OperationalError):
        complete(attempt, zipped)
    assert len(keys()) == 2
