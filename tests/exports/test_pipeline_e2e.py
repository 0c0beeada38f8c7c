"""One export end to end: web request → Redis → real worker → S3 over HTTP → SMTP → download."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import urllib.request
import zipfile
from datetime import datetime
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from portal.exports import wording
from portal.models import Export
from portal.vocabulary import kind_label
from tests.factories import login, member_exports
from tests.helpers import csrf, reload, request_export
from tests.polling import wait_until
from tests.servers import text_body, wait_for_mail


def wait_for_state(export_id: int, states: tuple[str, ...], timeout: float = 120) -> Export:
    return wait_until(lambda: (e := reload(export_id)).status in states and e, timeout=timeout)


def test_200_record_export_arrives_as_zip_of_pdfs_with_one_email_and_a_working_link(
    app, client, world, project_records, worker, mail_sink
):
    records = project_records(200, photo_every=20)
    login(client, "member@acme.test")
    response = request_export(client, world.project_a, records)
    assert response.status_code == 303
    export = Export.query.one()
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"))
        [mail] = wait_for_mail(mail_sink, 1)
    assert export.status == "completed", export.error
    assert export.done == 200 and export.warnings == 0

    body = text_body(mail)
    link = re.search(r"http://sitepack\.test(/exports/\S+/download)", body).group(1)
    assert "X-Amz" not in body

    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    redirect = client.get(link)
    assert redirect.status_code == 302
    assert redirect.headers["Referrer-Policy"] == "no-referrer"
    data = urllib.request.urlopen(redirect.headers["Location"]).read()
    assert hashlib.sha256(data).hexdigest() == export.parts[0].sha256
    assert_zip_holds_pdfs_of(data, records, export)
    assert len(mail_sink.messages) == 1


def assert_zip_holds_pdfs_of(data: bytes, records, export: Export) -> None:
    archive = zipfile.ZipFile(io.BytesIO(data))
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf") and n != "00-INDEX.pdf"]
    assert len(pdfs) == len(records)
    manifest = list(csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode("utf-8-sig"))))
    assert len(manifest) == len(records)
    for row in manifest:
        assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]
    [stamp] = {row["exported_at"] for row in manifest}  # one time for the whole export
    exported_at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    assert export.started_at.replace(microsecond=0) <= exported_at <= export.finished_at
    by_reference = {row["reference"]: row["file"] for row in manifest}
    facts = {row["reference"]: (row["kind"], row["version"], row["part"]) for row in manifest}
    assert facts == {r.reference: (kind_label(r.kind), str(r.version), "1") for r in records}
    assert "MANIFEST.xlsx" in archive.namelist() and "MANIFEST-ALL.csv" not in archive.namelist()
    index = PdfReader(io.BytesIO(archive.read("00-INDEX.pdf")))
    listed = " ".join(" ".join(page.extract_text().split()) for page in index.pages)
    assert wording.title(export) in listed and stamp in listed
    at = [listed.index(row["reference"]) for row in manifest]
    assert at == sorted(at)  # one line per record, in the zip's order
    for record in records[:: len(records) // 10]:
        first_page = PdfReader(io.BytesIO(archive.read(by_reference[record.reference]))).pages[0]
        assert record.reference in first_page.extract_text()
    assert "ERRORS.txt" not in archive.namelist()


def test_records_with_a_corrupt_or_missing_photo_are_listed_in_errors_and_export_completes(
    app, client, world, project_records, worker, bucket
):
    from portal.storage import client as s3

    records = project_records(6, photo_every=3)
    broken, gone = records[3], records[0]
    s3.put_bytes(broken.attachments[0].rendition_key, b"not a jpeg at all", "image/jpeg")
    s3.delete(gone.attachments[0].rendition_key)
    export = member_exports(client, world, records)
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"))
    assert export.status == "completed" and export.warnings == 2
    archive = zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))
    errors = archive.read("ERRORS.txt").decode()
    assert f"{broken.reference} — " in errors and "photo 1 (site-3.jpg) is damaged" in errors
    assert f"{gone.reference} — " in errors
    assert "photo 1 (site-0.jpg) is missing from storage" in errors
    assert len([n for n in archive.namelist() if n.endswith(".pdf") and n != "00-INDEX.pdf"]) == 4


def test_s3_down_for_the_whole_run_fails_with_a_reason_and_leaves_nothing_behind(
    app, client, world, project_records, worker, mail_sink, bucket
):
    from portal.storage import client as s3

    records = project_records(5, photo_every=0)
    export = member_exports(client, world, records)
    with worker(S3_ENDPOINT_URL="http://127.0.0.1:9"):
        export = wait_for_state(export.id, ("completed", "failed"))
        [mail] = wait_for_mail(mail_sink, 1)
    assert export.status == "failed"
    assert "file storage could not be reached" in export.error
    assert "could not be completed" in mail["Subject"]
    assert list(worker.workdir.iterdir()) == []
    listing = s3.boto().list_objects_v2(Bucket=bucket, Prefix="exports/")
    assert listing.get("KeyCount", 0) == 0


def test_mail_server_down_never_fails_a_finished_export(
    app, client, world, project_records, worker
):
    records = project_records(3, photo_every=0)
    export = member_exports(client, world, records)
    with worker(MAIL_PORT="9"):
        export = wait_for_state(export.id, ("completed", "failed"))
    assert export.status == "completed"
    assert export.ready_mail_sent_at is None  # released for the mail job's retry
    assert export.mail_due == "ready"  # and still owed, for the recovery pass if RQ gives up


def test_cancelling_a_processing_export_stops_the_worker_and_cleans_up(
    app, client, world, project_records, worker, bucket
):
    from portal.storage import client as s3

    records = project_records(150, photo_every=0)
    export = member_exports(client, world, records)
    with worker():
        wait_until(lambda: reload(export.id).done >= 3, timeout=60)
        token = csrf(client, f"/exports/{export.public_id}")
        client.post(f"/exports/{export.public_id}/cancel", data={"csrf_token": token})
        wait_until(lambda: list(worker.workdir.iterdir()) == [], timeout=30)
    export = reload(export.id)
    assert export.status == "cancelled" and export.done < 150
    listing = s3.boto().list_objects_v2(Bucket=bucket, Prefix="exports/")
    assert listing.get("KeyCount", 0) == 0


def test_a_small_export_requested_after_a_large_one_is_built_first(
    app, client, world, project_records, worker
):
    app.config["EXPORT_SMALL_LANE_MAX"] = 10
    records = project_records(60, photo_every=0)
    login(client, "member@acme.test")
    request_export(client, world.project_a, records)
    request_export(client, world.project_a, records[:3])
    large, small = Export.query.order_by(Export.id).all()
    assert (large.queue_name, small.queue_name) == ("exports-large", "exports-small")
    with worker():
        small = wait_for_state(small.id, ("completed", "failed"))
        large = reload(large.id)
        assert large.status == "pending" or large.started_at > small.finished_at


def test_the_zip_is_stored_with_its_type_and_download_name(
    app, client, world, project_records, worker
):
    from portal.storage import client as s3

    records = project_records(2, photo_every=0)
    export = member_exports(client, world, records)
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"))
    head = s3.boto().head_object(Bucket=s3.bucket(), Key=export.object_keys[0])
    assert head["ContentType"] == "application/zip"
    named = wording.title(export) + ".zip"  # Harbour View Tower — 2 records — 7 Dec 2026
    assert named.startswith("Harbour View Tower — 2 records — ")
    assert head["ContentDisposition"].endswith(f"filename*=UTF-8''{quote(named)}")
    assert export.object_keys[0].endswith(f"/{named}")
    assert f"/attempt-{export.attempt}/" in export.object_keys[0]


@pytest.mark.parametrize(
    "misconfigured, says",
    [
        ({"S3_BUCKET": "no-such-bucket"}, "bucket for exports does not exist"),
        ({"AWS_SECRET_ACCESS_KEY": "not-the-secret-0123456789"}, "refused access"),
    ],
)
def test_misconfigured_storage_fails_with_a_reason_that_names_the_cause(
    app, client, world, project_records, worker, mail_sink, bucket, misconfigured, says
):
    records = project_records(3, photo_every=0)
    export = member_exports(client, world, records)
    with worker(**misconfigured):
        export = wait_for_state(export.id, ("completed", "failed"))
        [mail] = wait_for_mail(mail_sink, 1)
    assert export.status == "failed"
    assert says in export.error and "unexpected" not in export.error
    assert says in " ".join(text_body(mail).split())
