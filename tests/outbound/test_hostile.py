"""Hostile targets: every way into Sitepack's own network is refused before a connection,
and every way to make a download endless or huge is cut at its limit with a one-line reason,
in flat memory. The trap is a server on 127.0.0.1 that is not allowlisted: it must see no
connection at all."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from portal.outbound.download import download
from portal.outbound.fanout import fetch_all
from portal.outbound.guard import system_resolver
from tests.outbound.sites import (
    PDF,
    Meter,
    Site,
    drip,
    endless,
    file,
    gzip_bomb,
    lying_length,
    pieces,
    redirect,
    rules,
    together,
)

REFUSALS = (
    "not a public internet address",
    "Only http and https URLs can be used.",
    "The URL may not contain a user name or password.",
    "The URL's port is not a number between 0 and 65535.",
    "could not be resolved",
)
HTML = b"<!DOCTYPE html><html><body>Please log in</body></html>\n" * 40
CAP_MB = 5


@pytest.fixture
def trap():
    with Site({"/": file(PDF)}) as server:
        yield server


@pytest.fixture
def fixture_site():
    with Site({"/ok.pdf": file(PDF + b"fine")}) as site:
        yield site


def bypasses(port: int) -> list[str]:
    """GitLab's SSRF bypass list (and a few more), aimed at the trap's port."""
    hosts = ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "127.0.0.1", "0.0.0.0"]
    hosts += ["[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]", "[::ffff:7f00:1]", "localhost."]
    hosts += ["localhost", "a@127.0.0.1", "evil.example@127.0.0.1"]
    odd_ports = ["http://127.0.0.1:0/", "http://127.0.0.1:65536/", "http://127.0.0.1:-1/"]
    schemes = ["file:///etc/passwd", f"gopher://127.0.0.1:{port}/_GET%20/", "ftp://127.0.0.1/"]
    schemes += [f"dict://127.0.0.1:{port}/", "//127.0.0.1/"]
    return [f"http://{host}:{port}/" for host in hosts] + odd_ports + schemes


def test_every_spelling_of_a_private_address_is_refused_and_the_trap_sees_nothing(
    trap, fixture_site
):
    urls = bypasses(trap.port)
    results = list(fetch_all(urls, rules(fixture_site)))
    assert [r.url for r in results] == urls
    for result in results:
        assert not result.ok
        assert any(reason in result.error for reason in REFUSALS), result
        assert "\n" not in result.error
    assert trap.meter.peak_total == 0 and sum(trap.hits.values()) == 0


def test_dns_rebinding_changes_nothing_the_vetted_address_is_dialled(fixture_site):
    answers = iter([["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.2"])  # first the allowlisted fixture, then the trap

    with Site({"/": file(PDF)}, host="127.0.0.2", port=fixture_site.port) as trap:
        url = fixture_site.url("/ok.pdf", host="files.example")
        result = download(url, rules(fixture_site, resolver=rebinding))
        assert result.ok and result.file.read() == PDF + b"fine"
        assert trap.meter.peak_total == 0


def test_a_redirect_from_an_allowed_server_to_a_private_one_is_refused(trap, fixture_site):
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "files.example" else system_resolver(host, port)

    targets = [f"http://127.0.0.1:{trap.port}/", f"http://2130706433:{trap.port}/"]
    targets += [f"http://localhost:{trap.port}/", f"http://[::ffff:127.0.0.1]:{trap.port}/"]
    targets += ["file:///etc/passwd"]
    for n, target in enumerate(targets):
        fixture_site.routes[f"/go/{n}"] = redirect(target)
    urls = [fixture_site.url(f"/go/{n}", host="files.example") for n in range(len(targets))]
    results = list(fetch_all(urls, rules(fixture_site, resolver=resolver)))
    assert all(any(reason in r.error for reason in REFUSALS) for r in results), results
    assert trap.meter.peak_total == 0


def hostile_routes() -> dict[str, object]:
    return {
        "/longer-than-announced": lying_length(1000, PDF + b"x" * 5000),
        "/shorter-than-announced": lying_length(100_000, PDF + b"x" * 1000),
        "/announces-too-much": lying_length(CAP_MB * 2**20 + 1, PDF),
        "/endless": pieces(endless(), {"Content-Type": "application/pdf"}),
        "/bomb": file(gzip_bomb(1024), headers={"Content-Encoding": "gzip"}),
        "/drip": pieces(drip(), {"Content-Type": "application/pdf"}, every=0.5),
        "/page": file(HTML, content_type="text/html"),
        "/report.pdf": file(HTML, content_type="application/pdf"),
    }


REASONS = {
    "/shorter-than-announced": "peer closed connection without sending complete message body",
    "/announces-too-much": "the file announces 5,242,881 bytes, over 5 MB",
    "/endless": "the file is larger than 5 MB",
    "/bomb": "the file is larger than 5 MB",
    "/drip": "no complete answer within 2 s",
    "/page": "text/html is not an allowed type (the server said text/html)",
    "/report.pdf": "text/html is not an allowed type (the server said application/pdf)",
}


def hostile_rules(site: Site, **kw):
    limits = {"deadline": 2.0, "max_bytes": CAP_MB * 2**20}
    return rules(site, policy=limits, **kw)


def test_each_hostile_answer_is_cut_at_its_limit_with_a_one_line_reason():
    with Site(hostile_routes()) as site:
        started = time.monotonic()
        results = {p: download(site.url(p), hostile_rules(site)) for p in REASONS}
        longer = download(site.url("/longer-than-announced"), hostile_rules(site))
    for path, reason in REASONS.items():
        assert reason in results[path].error and "\n" not in results[path].error, path
    assert longer.ok and longer.size == 1000  # what was announced, not what was sent
    assert time.monotonic() - started < 120  # the drip ended at its deadline, not never


def test_eight_hostile_downloads_at_once_leave_the_memory_flat():
    """Peak RSS (VmHWM, reset to the current RSS first) grows by less than 30 MB while eight
    bodies that would be gigabytes arrive at once, each cut at 20 MB; the servers hold them
    back until all eight are connected."""
    barrier = threading.Barrier(8)
    routes = {p: together(r, barrier) for p, r in hostile_routes().items()}
    routes["/bomb-2"] = together(
        file(gzip_bomb(1024), headers={"Content-Encoding": "gzip"}), barrier
    )
    routes["/endless-2"] = together(pieces(endless(), {"Content-Type": "application/pdf"}), barrier)
    paths = ["/bomb", "/bomb-2", "/endless", "/endless-2", "/drip", "/page"]
    paths += ["/shorter-than-announced", "/report.pdf"]
    with Site(routes, Meter()) as site:
        urls = [site.url(p) for p in paths]
        # A cap of 20 MB: four bodies held in memory would be 80 MB on their own.
        made = rules(
            site, policy={"deadline": 2.0, "max_bytes": 20 * 2**20}, per_host=8, attempts=1
        )
        before = reset_peak_rss_kb()
        results = list(fetch_all(urls, made))
        grown_mb = (peak_rss_kb() - before) / 1024
    assert site.meter.peak_total == 8
    assert all(not r.ok and r.error for r in results)
    assert grown_mb < 30, f"peak RSS grew {grown_mb:.1f} MB"


def reset_peak_rss_kb() -> int:
    """Sets VmHWM to the current RSS (Linux's clear_refs 5) and returns it."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss_kb()


def peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/self/status")
