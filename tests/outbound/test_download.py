"""One URL into a temp file: redirects, retries, decoding, naming and the limits, against
scripted servers on 127.0.0.1 (allowlisted)."""

from __future__ import annotations

import gzip
import hashlib
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from portal.config import ConfigError, from_environment
from portal.outbound import fetch
from portal.outbound.download import Budget, Failed, download, rules_for, verdict
from tests.outbound.sites import PDF, Site, file, in_turn, redirect, rules, status, timed

BODY = PDF + bytes(range(256)) * 4000  # ~1 MB: past the spool's memory part


def test_a_file_comes_with_its_size_digest_type_and_the_name_its_server_gave():
    disposition = "attachment; filename*=UTF-8''Pr%C3%BCfbericht%20B%C3%BCro.pdf"
    with Site({"/r/7": file(BODY, headers={"Content-Disposition": disposition})}) as site:
        result = download(site.url("/r/7"), rules(site))
    assert result.ok and result.error is None
    assert (result.size, result.sha256) == (len(BODY), hashlib.sha256(BODY).hexdigest())
    assert result.file.read() == BODY
    assert (result.content_type, result.filename, result.status) == (
        "application/pdf",
        "Prüfbericht Büro.pdf",
        200,
    )
    assert site.server.headers_seen[0]["accept-encoding"] == "identity"
    result.close()


def test_a_chain_of_three_redirects_is_followed_and_the_final_url_kept():
    with Site({}) as site:
        site.routes.update(
            {
                "/a": redirect("/b", 301),
                "/b": redirect(site.url("/c"), 307),
                "/c": redirect("d.pdf", 308),
                "/d.pdf": file(BODY),
            }
        )
        result = download(site.url("/a"), rules(site))
    assert result.ok and result.final_url == site.url("/d.pdf")
    assert result.url == site.url("/a")


def test_a_fourth_redirect_is_refused():
    with Site({}) as site:
        site.routes.update({f"/{i}": redirect(f"/{i + 1}") for i in range(4)})
        site.routes["/4"] = file(BODY)
        result = download(site.url("/0"), rules(site))
    assert result.error == "more than 3 redirects"
    assert site.hits["/4"] == 0


def test_a_500_then_a_200_is_retried_into_a_file():
    with Site({"/f": in_turn(status(500), status(503), file(BODY))}) as site:
        result = download(site.url("/f"), rules(site))
    assert result.ok and result.attempts == 3 and site.hits["/f"] == 3


def test_a_server_that_keeps_failing_is_given_up_after_the_attempts_with_its_last_status():
    with Site({"/f": status(502)}) as site:
        result = download(site.url("/f"), rules(site))
    assert result.error == "HTTP 502 (after 3 attempts)" and site.hits["/f"] == 3


def test_a_404_fails_at_once():
    with Site({}) as site:
        result = download(site.url("/missing.pdf"), rules(site))
    assert result.error == "HTTP 404" and result.attempts == 1


@pytest.mark.parametrize("header", ["1", "date"])
def test_retry_after_is_honoured_in_seconds_or_as_a_date(header):
    if header == "date":
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    with Site({"/f": in_turn(status(429, {"Retry-After": header}), file(BODY))}) as site:
        started = time.monotonic()
        result = download(site.url("/f"), rules(site, max_wait=5))
    assert result.ok and result.attempts == 2
    assert time.monotonic() - started >= 0.9  # not the 0.05 s backoff


def test_retry_after_past_the_deadline_gives_up_instead_of_waiting():
    """Waiting would take the whole deadline: ending in a fraction of it is giving up, on a
    loaded machine too."""
    with Site({"/f": status(503, {"Retry-After": "3600"})}) as site:
        started = time.monotonic()
        result = download(site.url("/f"), rules(site, policy={"deadline": 60.0}, max_wait=120))
    assert result.error == "HTTP 503" and site.hits["/f"] == 1
    assert time.monotonic() - started < 30


def test_a_stop_during_a_backoff_ends_the_download():
    """The backoff is a minute: ending in a fraction of it is the stop's doing."""
    with Site({"/f": status(503, {"Retry-After": "60"})}) as site:
        started = time.monotonic()
        result = download(
            site.url("/f"), rules(site, policy={"deadline": 120.0}, max_wait=60), stop=timed(0.3)
        )
    assert result.error == "stopped: the bundle was cancelled" and site.hits["/f"] == 1
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_a_compressed_answer_is_stored_decoded_though_none_was_asked_for(encoding, encode):
    with Site({"/f": file(encode(BODY), headers={"Content-Encoding": encoding})}) as site:
        result = download(site.url("/f"), rules(site))
    assert result.ok and result.size == len(BODY)
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()


def test_an_encoding_that_was_not_asked_for_and_is_not_known_is_refused():
    with Site({"/f": file(BODY, headers={"Content-Encoding": "br"})}) as site:
        result = download(site.url("/f"), rules(site))
    assert result.error == "Content-Encoding br is not supported"


def test_the_bundle_budget_refuses_the_file_that_would_pass_it_and_keeps_the_others():
    budget = Budget(int(1.5 * len(BODY)))
    with Site({"/a": file(BODY), "/b": file(BODY), "/c": file(PDF)}) as site:
        first, second, third = (
            download(site.url(p), rules(site), budget) for p in ["/a", "/b", "/c"]
        )
    assert first.ok and third.ok
    assert second.error == "the bundle's limit of 1.5 MB was reached"
    assert budget.used == len(BODY) + len(PDF)


def test_rules_come_from_the_bundle_settings_and_allow_plain_http_links_in_production():
    env = {"BUNDLE_ENTRY_MAX_BYTES": "1000", "BUNDLE_FETCH_DEADLINE_SECONDS": "7"}
    env |= {"BUNDLE_ALLOWED_TYPES": "application/pdf, text/csv", "SITEPACK_ENV": "production"}
    made = rules_for(from_environment(env))
    assert (made.policy.max_bytes, made.policy.deadline) == (1000, 7)
    assert made.allowed_types == {"application/pdf", "text/csv"}
    assert (made.concurrency, made.per_host, made.policy.require_https) == (8, 2, False)


def test_an_allowed_type_the_sniffer_never_finds_stops_start_up():
    with pytest.raises(ConfigError, match="BUNDLE_ALLOWED_TYPES: .* application/pfd"):
        from_environment({"BUNDLE_ALLOWED_TYPES": "application/pdf,application/pfd"})


def test_an_empty_answer_is_not_a_file():
    with Site({"/f": file(b"")}) as site:
        result = download(site.url("/f"), rules(site, types=("text/plain",)))
    assert result.error == "the server sent an empty file"


LONG_LABEL = "a" * 64
NOT_A_HOST = "The URL's host name is not valid."


@pytest.mark.parametrize(
    ("location", "asked_says", "redirected_says"),
    [
        ("http://a..b/x.pdf", NOT_A_HOST, NOT_A_HOST),
        (f"http://{LONG_LABEL}.example/x.pdf", NOT_A_HOST, NOT_A_HOST),
        (
            "http://[::1/x.pdf",
            NOT_A_HOST,
            "a redirect led to “http://[::1/x.pdf”, which is not a valid URL",
        ),
    ],
)
def test_a_malformed_host_fails_its_link_at_once_whether_asked_for_or_redirected_to(
    location, asked_says, redirected_says
):
    with Site({"/go": redirect(location)}) as site:
        asked = download(location, rules(site))
        redirected = download(site.url("/go"), rules(site))
    for result, says in ((asked, asked_says), (redirected, redirected_says)):
        assert not result.ok and says in result.error and result.attempts == 1, result
    assert site.hits["/go"] == 1


def test_whatever_a_fetch_raises_becomes_its_links_error_line():
    def broken(host, port):
        raise RuntimeError("the resolver\nbroke")

    with Site({"/f": file(BODY)}) as site:
        result = download(site.url("/f", host="files.test"), rules(site, resolver=broken))
    assert result.error == "could not be fetched (RuntimeError: the resolver broke)"
    assert result.attempts == 1


def test_a_cap_found_stays_final_when_hanging_up_then_breaks():
    """Closing the connection of a body cut at the cap may itself fail (a reset): that must
    not turn the cap into a connection problem worth another try."""
    try:
        try:
            try:
                raise Failed("the file is larger than 5 MB")
            except Failed:
                raise fetch.Unreachable("connection reset by peer") from None
        except fetch.Unreachable as exc:
            raise Failed(str(exc), retry=True) from exc
    except Failed as exc:
        judged = verdict(exc)
    assert (str(judged), judged.retry) == ("the file is larger than 5 MB", False)


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (file(gzip.compress(PDF + bytes(6 * 2**20)), headers={"Content-Encoding": "gzip"}),
         "larger than 5 MB"),
        (file(b"<html>" + b"x" * 2000, content_type="text/html"), "text/html is not an allowed"),
    ],
)  # fmt: skip
def test_a_cap_or_a_refused_type_is_tried_once(route, reason):
    with Site({"/f": route}) as site:
        result = download(site.url("/f"), rules(site, policy={"max_bytes": 5 * 2**20}))
    assert reason in result.error and result.attempts == 1 and site.hits["/f"] == 1
    assert "attempts" not in result.error
