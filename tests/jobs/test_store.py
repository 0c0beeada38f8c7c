"""The last step of an export: the zip goes up, the row takes it, and only a refusal by the
row removes the object (against rclone's S3, over HTTP)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from jobs.build import BuiltArchive
from jobs.export import store
from portal.exports import attempts, service
from portal.exports.attempts import AttemptLost
from portal.models import ExportStatus
from portal.storage import client as s3
from tests import factories
from tests.helpers import reload


@pytest.fixture
def claimed(world, bucket):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=1)
    return export, attempts.claim(export.id)


@pytest.fixture
def built(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return BuiltArchive(path, path.stat().st_size, "c" * 64, 1, 0)


def keys() -> list[str]:
    return s3.list_keys("exports/")


def test_the_row_takes_the_uploaded_zip(claimed, built):
    export, attempt = claimed
    store(reload(export.id), attempt, built)
    assert keys() == reload(export.id).object_keys


def test_a_row_that_refuses_the_zip_gets_it_deleted(claimed, built):
    export, attempt = claimed
    service.cancel(reload(export.id), reload(export.id).requested_by)
    with pytest.raises(AttemptLost):
        store(reload(export.id), attempt, built)
    assert keys() == []


def test_a_completion_whose_answer_was_lost_leaves_the_zip(claimed, built, monkeypatch):
    """The database may have committed completed and then dropped the connection: the row
    may point at this object, so it must stay (reconcile removes it if no row does)."""
    export, attempt = claimed

    def lost_answer(*args, **kwargs):
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(attempts, "complete", lost_answer)
    with pytest.raises(OperationalError):
        store(reload(export.id), attempt, built)
    assert len(keys()) == 1
