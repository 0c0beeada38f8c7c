"""Links that give no file, end to end on the real servers (portal form → Redis → a real
worker → loopback file servers → rclone's S3 → the SMTP sink): each is its own ERRORS.txt
line and its own reason on the export's page and in the email, whatever the fetch raised; a
cap, a refused type or a malformed host is final at once; a bundle none of whose links gave a
file fails, and Retry fetches them all again."""

from __future__ import annotations

import io
import zipfile

import pytest

from portal.models import Export
from portal.storage import client as s3
from tests.bundles.test_bundle_e2e import request_bundle
from tests.exports.test_pipeline_e2e import wait_for_state
from tests.helpers import csrf, reload
from tests.outbound.sites import PDF, Site, file, gzip_bomb, redirect, status
from tests.servers import text_body, wait_for_mail

CAP_MB = 5
LONG_LABEL = "a" * 64  # one more than DNS allows: IDNA raises UnicodeError, not gaierror
HTML = b"<!doctype html><html><body>" + b"Sign in to see this document. " * 40 + b"</body></html>"
# Path → (its route, the reason the page, the email and ERRORS.txt give for it).
BAD = {
    "/missing.pdf": (status(404), "HTTP 404"),
    "/bomb.pdf": (
        file(gzip_bomb(64), headers={"Content-Encoding": "gzip"}),
        f"the file is larger than {CAP_MB} MB",
    ),
    "/login": (file(HTML, content_type="text/html"), "text/html is not an allowed type"),
    "/to-empty-label": (redirect("http://a..b/x.pdf"), "host name is not valid"),
    "/to-long-label": (
        redirect(f"http://{LONG_LABEL}.example/x.pdf"),
        "host name is not valid",
    ),
    "/to-unclosed": (redirect("http://[::1/x.pdf"), "is not a valid URL"),
}
GOOD = PDF + b"the as-built drawings" * 300


@pytest.fixture
def site():
    with Site({"/good.pdf": file(GOOD)}) as server:
        server.routes.update({path: route for path, (route, _) in BAD.items()})
        yield server


@pytest.fixture
def sitepack_env(sitepack_env, site) -> dict[str, str]:
    return {
        **sitepack_env,
        "OUTBOUND_ALLOWLIST": f"127.0.0.1:{site.port}",
        "BUNDLE_ENTRY_MAX_BYTES": str(CAP_MB * 2**20),
    }


def status_page(client, export: Export) -> str:
    return " ".join(client.get(f"/exports/{export.public_id}").get_data(as_text=True).split())


def test_each_bad_link_is_its_own_error_line_tried_once_and_the_good_one_is_delivered(
    app, client, world, worker, mail_sink, site, bucket
):
    export = request_bundle(client, [site.url("/good.pdf"), *(site.url(p) for p in BAD)])
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"), timeout=120)
        [mail] = wait_for_mail(mail_sink, 1)

    assert export.status == "completed", export.error
    assert (export.files, export.files_failed, export.warnings) == (7, 6, 6)
    assert all(site.hits[path] == 1 for path in BAD), site.hits  # no second attempt at any
    archive = zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))
    errors = archive.read("ERRORS.txt").decode().splitlines()
    assert len(errors) == len(BAD) and not any("attempts" in line for line in errors)
    for line, (path, (_, reason)) in zip(errors, BAD.items(), strict=True):
        assert line.startswith(f"{site.url(path)}: ") and reason in line, line

    page, body = status_page(client, export), " ".join(text_body(mail).split())
    assert "Bundle of 7 files" in page and "record" not in page.split("</h1>")[0]
    assert "6 of 7 links could not be fetched:" in page and "6 of 7 links" in body
    for path, (_, reason) in BAD.items():
        assert f"{site.url(path)}</span>: " in page and reason in page
        assert f"- {site.url(path)}: " in body and reason in body


def test_a_bundle_whose_every_link_failed_fails_with_each_reason_and_retry_fetches_again(
    app, client, world, worker, mail_sink, site, bucket
):
    bad = ["/missing.pdf", "/login", "/bomb.pdf"]
    export = request_bundle(client, [site.url(path) for path in bad])
    with worker():
        export = wait_for_state(export.id, ("completed", "failed"), timeout=120)
        [mail] = wait_for_mail(mail_sink, 1)

        assert export.status == "failed"
        assert export.error.startswith("None of the 3 links could be fetched, so there is no zip.")
        assert s3.boto().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
        assert mail["Subject"] == "“Handover pack, block B” could not be completed"
        body, page = " ".join(text_body(mail).split()), status_page(client, export)
        assert "Ready" not in page and "Retry" in page
        for path in bad:
            reason = BAD[path][1]
            assert f"- {site.url(path)}: {reason}" in body
            assert f"{site.url(path)}</span>: {reason}" in page

        site.routes["/missing.pdf"] = file(GOOD)  # the person fixes one link, then retries
        token = csrf(client, f"/exports/{export.public_id}")
        client.post(f"/exports/{export.public_id}/retry", data={"csrf_token": token})
        export = wait_for_state(export.id, ("completed",), timeout=120)

    assert site.hits["/missing.pdf"] == 2 and site.hits["/login"] == 2
    assert (reload(export.id).files_failed, export.warnings) == (2, 2)
    page = status_page(client, export)
    assert "2 of 3 links could not be fetched:" in page
    assert f"{site.url('/missing.pdf')}</span>:" not in page  # the fixed link's reason is gone
