"""A link bundle end to end on the real servers: the portal's "Bundle links" form → Redis →
a real worker → three loopback file servers (slow ones, a 404, a 500 then 200, a chain of
redirects, a 30 MB file, repeats) → rclone's S3 → one email, a signed webhook, a working link."""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import urllib.request
import zipfile

import pytest
import redis
from rq import Worker
from standardwebhooks import Webhook

from portal.models import Export
from portal.storage import client as s3
from tests import factories
from tests.exports.test_pipeline_e2e import wait_for_state
from tests.factories import login
from tests.helpers import csrf, reload, request_export
from tests.outbound.sites import PDF, Meter, Site, file, in_turn, redirect, status
from tests.polling import wait_until
from tests.servers import text_body, wait_for_mail

SLOW = 0.5  # seconds a slow link keeps its answer back
BIG = 30 * 2**20


@pytest.fixture
def sites():
    meter = Meter()
    with Site({}, meter) as a, Site({}, meter) as b, Site({}, meter) as c:
        yield [a, b, c]


@pytest.fixture
def sitepack_env(sitepack_env, sites, receiver) -> dict[str, str]:
    """The file servers and the webhook receiver, allowlisted for this test's app and workers."""
    ports = [*(site.port for site in sites), receiver.port]
    return {**sitepack_env, "OUTBOUND_ALLOWLIST": ",".join(f"127.0.0.1:{p}" for p in ports)}


class Pack:
    """A handover pack's 200 lines, and what each URL must bring."""

    def __init__(self, sites: list[Site]):
        rng, (a, b, c) = random.Random(7), sites
        self.lines: list[str] = []
        self.served: dict[str, bytes] = {}
        for n in range(193):
            data = PDF + rng.randbytes(rng.randint(2_000, 40_000))
            site = sites[n % 3]
            site.routes[f"/docs/{n}.pdf"] = file(data, delay=SLOW if n % 20 == 0 else 0)
            self.add(site.url(f"/docs/{n}.pdf"), data, f"Drawings/A-{n} rev C.pdf" if n < 5 else "")
        big = PDF + rng.randbytes(BIG)
        a.routes["/big.pdf"] = file(big)
        b.routes["/flaky.pdf"] = in_turn(status(500), file(big[:9000]))
        a.routes["/hop/0"] = redirect(b.url("/hop/1"))
        b.routes["/hop/1"] = redirect(c.url("/hop/2"))
        disposition = {"Content-Disposition": 'attachment; filename="Chained report.pdf"'}
        c.routes["/hop/2"] = file(big[:7000], headers=disposition)
        self.add(a.url("/big.pdf"), big, "O&M/Manual.pdf")
        self.add(b.url("/flaky.pdf"), big[:9000], "O&M/Manual.pdf")  # the same name: made unique
        self.add(a.url("/hop/0"), big[:7000])
        self.missing = c.url("/missing.pdf")
        self.lines.insert(100, self.missing)
        self.lines += [self.lines[3], self.lines[150] + " another name", self.lines[0]]  # repeats

    def add(self, url: str, data: bytes, name: str = "") -> None:
        self.lines.append(f"{url}\t{name}" if name else url)
        self.served[url] = data


def request_bundle(client, lines: list[str]) -> Export:
    login(client, "member@acme.test")
    token = csrf(client, "/bundles/new")
    form = {"name": "Handover pack, block B", "links": "\n".join(lines), "ttl_hours": "24"}
    response = client.post("/bundles", data={**form, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return Export.query.one()


def test_200_links_over_three_servers_arrive_once_each_in_one_zip_with_errors_mail_and_webhook(
    app, client, world, worker, mail_sink, receiver, sites, bucket
):
    endpoint = factories.webhook_endpoint(world.admin_a, f"{receiver.url}/in")
    pack = Pack(sites)
    assert len(pack.lines) == 200
    export = request_bundle(client, pack.lines)
    assert (export.kind, export.total) == ("bundle", 197)  # 200 lines, 3 of them repeats
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"), timeout=240)
        [mail] = wait_for_mail(mail_sink, 1)
        wait_until(lambda: receiver.requests, timeout=30)
    assert export.status == "completed", export.error
    assert (export.done, export.warnings) == (197, 1)
    assert sites[1].hits["/flaky.pdf"] == 2
    assert all(site.hits[path] == 1 for site in sites for path in site.hits if "docs" in path)

    [key] = export.object_keys
    org = world.org_a.id
    assert key.startswith(f"bundles/1d/{org}/portal/{export.public_id}/attempt-1/Sitepack-bundle-")
    assert key.endswith("-197-files.zip")
    head = s3.boto().head_object(Bucket=s3.bucket(), Key=key)
    assert "handover-pack-block-b" in head["ContentDisposition"]

    data = download_from_mail(client, mail)
    assert hashlib.sha256(data).hexdigest() == export.parts[0].sha256
    assert_zip_holds_the_pack(data, pack)
    assert len(mail_sink.messages) == 1 and "Handover pack, block B" in mail["Subject"]

    [request] = receiver.requests
    event = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert event["type"] == "export.completed"
    assert (event["data"]["kind"], event["data"]["name"]) == ("bundle", "Handover pack, block B")
    assert event["data"]["project"] is None


def download_from_mail(client, mail) -> bytes:
    link = re.search(r"http://sitepack\.test(/exports/\S+/download)", text_body(mail)).group(1)
    redirect_to_s3 = client.get(link)
    assert redirect_to_s3.status_code == 302
    return urllib.request.urlopen(redirect_to_s3.headers["Location"]).read()


def assert_zip_holds_the_pack(data: bytes, pack: Pack) -> None:
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = list(csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode("utf-8-sig"))))
    ok = [row for row in manifest if row["status"] == "ok"]
    assert len(manifest) == 197 and len(ok) == 196
    assert {row["url"] for row in ok} == set(pack.served)
    for row in ok:
        body = archive.read(row["file"])
        served = pack.served[row["url"]]
        assert body == served and row["sha256"] == hashlib.sha256(served).hexdigest()
        assert (int(row["bytes"]), row["content_type"]) == (len(served), "application/pdf")
    files = {row["url"]: row["file"] for row in ok}
    first = pack.lines[0].split("\t")[0]
    assert files[first] == "Drawings/A-0 rev C.pdf"
    assert {files[url] for url in pack.served if url.endswith(("/big.pdf", "/flaky.pdf"))} == {
        "O&M/Manual.pdf",
        "O&M/Manual-2.pdf",
    }
    assert files[next(url for url in pack.served if url.endswith("/hop/0"))] == "Chained report.pdf"
    assert files[next(url for url in pack.served if url.endswith("/docs/7.pdf"))] == "7.pdf"
    [failed] = [row for row in manifest if row["status"] == "error"]
    assert failed["url"] == pack.missing
    errors = archive.read("ERRORS.txt").decode().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"{pack.missing}: ")
    assert "404" in errors[0]


def test_cancelling_a_bundle_while_it_fetches_stops_the_worker_and_leaves_no_zip(
    app, client, world, worker, sites, bucket
):
    site = sites[0]
    for n in range(40):
        site.routes[f"/slow/{n}.pdf"] = file(PDF + bytes(2000), delay=1.0)  # 2 at a time: 20 s
    export = request_bundle(client, [site.url(f"/slow/{n}.pdf") for n in range(40)])
    with worker():
        wait_until(lambda: reload(export.id).done >= 2, timeout=60)
        token = csrf(client, f"/exports/{export.public_id}")
        client.post(f"/exports/{export.public_id}/cancel", data={"csrf_token": token})
        connection = redis.Redis.from_url(app.config["REDIS_URL"])
        wait_until(
            lambda: all(w.get_current_job_id() is None for w in Worker.all(connection=connection)),
            timeout=30,
        )
        hits = sum(site.hits.values())

    export = reload(export.id)
    assert export.status == "cancelled" and export.done < 40
    assert hits < 40  # the links after the cancel were never asked for
    listing = s3.boto().list_objects_v2(Bucket=bucket, Prefix="bundles/")
    assert listing.get("KeyCount", 0) == 0


def test_a_handover_pack_holds_the_records_pdfs_and_the_linked_documents_in_one_zip(
    app, client, world, project_records, worker, sites
):
    records = project_records(3, photo_every=0)
    manual = PDF + b"O&M manual" * 500
    sites[0].routes["/om.pdf"] = file(manual)
    pasted = f"{sites[0].url('/om.pdf')} O&M/Manual.pdf\n{sites[0].url('/gone.pdf')}"
    login(client, "member@acme.test")
    assert request_export(client, world.project_a, records, links=pasted).status_code == 303
    export = Export.query.one()
    assert (export.kind, export.total) == ("records", 5)
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"))
    assert export.status == "completed", export.error
    assert (export.done, export.warnings) == (5, 1)

    archive = zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))
    manifest = list(csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode("utf-8-sig"))))
    assert [row["reference"] for row in manifest[:3]] == [r.reference for r in records]
    assert {row["content_type"] for row in manifest[:3]} == {"application/pdf"}
    assert archive.read("O&M/Manual.pdf") == manual
    assert [(row["url"], row["status"]) for row in manifest[3:]] == [
        (sites[0].url("/om.pdf"), "ok"),
        (sites[0].url("/gone.pdf"), "error"),
    ]
    assert archive.read("ERRORS.txt").decode().startswith(sites[0].url("/gone.pdf") + ": ")
