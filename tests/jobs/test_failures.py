"""A failure's reason is chosen by its cause, through whatever boto3 wraps it in.

The storage errors come from a real boto3 client: S3 error codes through botocore's Stubber
(so boto3's own upload code does the wrapping), a refused connection and a read timeout
from real sockets on loopback.
"""

from __future__ import annotations

import errno
import socket
from datetime import datetime

import boto3
import pikepdf
import pytest
from boto3.exceptions import RetriesExceededError, S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import NoCredentialsError, ReadTimeoutError
from botocore.stub import Stubber
from obstore.exceptions import BaseError as ObjectStoreError
from pikepdf import Dictionary, Name
from pikepdf.pdfa import PdfaError
from sqlalchemy.exc import OperationalError

from jobs import failures, handover
from jobs.failures import describe
from jobs.index_pdf import IndexHead
from portal import queues
from portal.exports import attempts
from portal.models import ExportEvent, ExportStatus
from portal.storage.client import Reader, Settings
from tests import factories
from tests.helpers import config_from_env, reload
from tests.servers import free_port


def s3_client(endpoint: str, read_timeout: float = 5):
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
        config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout, connect_timeout=2),
    )


def upload_error(client, tmp_path) -> Exception:
    """What `upload_file` (the export's upload step) raises."""
    zip_path = tmp_path / "export.zip"
    zip_path.write_bytes(b"PK")
    with pytest.raises(Exception) as raised:
        client.upload_file(str(zip_path), "sitepack", "exports/1/export.zip")
    return raised.value


@pytest.mark.parametrize(
    "code, status, expected",
    [
        ("AccessDenied", 403, failures.DENIED),
        ("SignatureDoesNotMatch", 403, failures.DENIED),
        ("InvalidAccessKeyId", 403, failures.DENIED),
        ("NoSuchBucket", 404, failures.NO_BUCKET),
        ("EntityTooLarge", 400, failures.FULL),
        ("QuotaExceeded", 403, failures.FULL),
        ("XMinioStorageFull", 507, failures.FULL),
        ("InsufficientStorage", 507, failures.FULL),
        ("RequestTimeout", 400, failures.TIMEOUT),
        ("SlowDown", 503, failures.UNREACHABLE),
        ("ServiceUnavailable", 503, failures.UNREACHABLE),
        ("SomethingNew", 400, failures.OTHER_STORAGE),
    ],
)
def test_an_s3_error_inside_boto3s_upload_failure_is_named_by_its_code(
    tmp_path, code, status, expected
):
    client = s3_client(f"http://127.0.0.1:{free_port()}")
    with Stubber(client) as stub:
        stub.add_client_error("put_object", service_error_code=code, http_status_code=status)
        exc = upload_error(client, tmp_path)
    assert isinstance(exc, S3UploadFailedError)  # the wrapper the old mapping missed
    assert describe(exc) is expected


def test_a_refused_connection_says_storage_could_not_be_reached(tmp_path):
    exc = upload_error(s3_client(f"http://127.0.0.1:{free_port()}"), tmp_path)
    assert describe(exc) is failures.UNREACHABLE


def test_a_cached_pdf_read_from_storage_that_refuses_connections_says_unreachable():
    where = Settings(f"http://127.0.0.1:{free_port()}", "us-east-1", "k", "s", "b")
    with pytest.raises(ObjectStoreError) as caught:
        Reader(where).get("renders/1/x.pdf")
    assert describe(caught.value) is failures.UNREACHABLE


def test_storage_that_accepts_but_never_answers_is_a_timeout(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        exc = upload_error(s3_client(endpoint, read_timeout=0.5), tmp_path)
    assert describe(exc) is failures.TIMEOUT


def test_the_cause_is_found_inside_boto3s_retries_exceeded():
    timeout = ReadTimeoutError(endpoint_url="http://storage.internal/sitepack/k")
    assert describe(RetriesExceededError(timeout)) is failures.TIMEOUT


def test_missing_credentials_are_access_denied():
    assert describe(NoCredentialsError()) is failures.DENIED


def test_database_disk_and_unknown_errors_keep_their_reasons():
    assert describe(OperationalError("UPDATE", {}, Exception("gone"))) is failures.DATABASE
    assert describe(OSError(errno.ENOSPC, "No space left on device")) is failures.DISK
    assert describe(RuntimeError("bug")) is failures.UNKNOWN


def test_every_cause_has_its_own_sentence_and_only_transient_ones_are_retried():
    causes = [
        failures.UNREACHABLE,
        failures.TIMEOUT,
        failures.DENIED,
        failures.NO_BUCKET,
        failures.FULL,
        failures.NOT_ARCHIVAL,
    ]
    assert len({c.reason for c in causes}) == len(causes)
    assert all("unexpected" not in c.reason for c in causes)
    assert [c.transient for c in causes] == [True, True, False, False, False, False]


def not_archival_error(tmp_path) -> PdfaError:
    """What jobs/handover.py raises for a volume pikepdf will not vouch for as PDF/A: a real
    one, from its check of the bytes it wrote (an /OpenAction it cannot check)."""
    head = IndexHead("Level 3", (), "Mia", datetime(2026, 12, 7), "by hand", "A4", archival=True)
    with pikepdf.new() as volume, pytest.raises(PdfaError) as raised:
        volume.add_blank_page()
        volume.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        handover.save(volume, tmp_path / "volume.pdf", head)
    return raised.value


def test_a_handover_pdf_that_is_not_pdf_a_fails_in_plain_words_with_the_findings_for_admins(
    world, tmp_path
):
    """No automatic retry (the same records fail the same check); the person reads what
    happened and what to do, the admin timeline keeps the validator's findings."""
    exc = not_archival_error(tmp_path)
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, total=1)
    failures.record_failure(attempts.claim(export.id), exc)

    row = reload(export.id)
    assert (row.status, row.error) == (ExportStatus.FAILED, failures.NOT_ARCHIVAL.reason)
    assert row.error.startswith("The handover PDF could not be made archival (PDF/A)")
    assert "OpenAction" not in row.error and "pikepdf" not in row.error
    failed = ExportEvent.query.filter_by(export_id=export.id, kind=ExportStatus.FAILED).one()
    assert "/OpenAction is not supported" in failed.detail


def test_the_backoff_table_retries_soon_first_and_spreads_each_export_s_tries(app):
    """One table (EXPORT_RETRY_INTERVALS), 15 s, 1 min and 5 min by default, each interval
    jittered per export, so the exports one outage failed do not all come back at once."""
    table = config_from_env({})["EXPORT_RETRY_INTERVALS"]
    app.config["EXPORT_RETRY_INTERVALS"] = table
    drawn = [queues.export_retry().intervals for _ in range(20)]

    assert table == [15, 60, 300]
    for intervals in drawn:
        assert [i / s for i, s in zip(intervals, table, strict=True)] == pytest.approx(
            [1, 1, 1], abs=queues.RETRY_JITTER + 0.05
        )
    assert len({tuple(intervals) for intervals in drawn}) > 1
