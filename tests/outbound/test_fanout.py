"""A bundle's URLs fetched a few at a time, in the order given, with bounded read-ahead,
against three loopback servers that count the connections they hold at once."""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.outbound.fanout import Stopped, fetch_all
from tests.outbound.sites import (
    PDF,
    Meter,
    Site,
    drip,
    file,
    in_turn,
    pieces,
    redirect,
    rules,
    status,
)
from tests.polling import wait_until


class Names:
    """A stub resolver: every name ends at 127.0.0.1, and each lookup is counted."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> list[str]:
        with self._lock:
            self.calls[host] = self.calls.get(host, 0) + 1
        return ["127.0.0.1"]


def bundle_of_200(sites: list[Site]) -> tuple[list[str], dict[str, bytes]]:
    """200 URLs spread over the sites: small PDFs (every tenth slow), one 404, one 500 then
    200, one chain of three redirects across the three sites, one 30 MB file."""
    rng, urls, expected = random.Random(12), [], {}
    for n in range(196):
        site = sites[n % 3]
        data = PDF + rng.randbytes(rng.randint(1_000, 60_000))
        site.routes[f"/f/{n}.pdf"] = file(data, delay=0.3 if n % 10 == 0 else 0)
        urls.append(site.url(f"/f/{n}.pdf", host=f"site{n % 3}.example"))
        expected[urls[-1]] = data
    big = PDF + rng.randbytes(30 * 2**20)
    sites[0].routes["/big.pdf"] = file(big)
    sites[1].routes["/flaky.pdf"] = in_turn(status(500), file(big[:5000]))
    sites[0].routes["/hop/0"] = redirect(sites[1].url("/hop/1", host="hop1.example"))
    sites[1].routes["/hop/1"] = redirect(sites[2].url("/hop/2", host="hop2.example"))
    sites[2].routes["/hop/2"] = redirect(sites[0].url("/hop/3", host="hop3.example"))
    sites[0].routes["/hop/3"] = file(big[:7000])
    special = {
        sites[0].url("/big.pdf", host="site0.example"): big,
        sites[1].url("/flaky.pdf", host="site1.example"): big[:5000],
        sites[0].url("/hop/0", host="hop0.example"): big[:7000],
    }
    expected |= special
    urls[50:50] = list(special)
    urls.insert(120, sites[2].url("/missing.pdf", host="site2.example"))
    return urls, expected


def test_200_urls_over_three_hosts_come_back_in_order_within_the_connection_limits():
    meter, names = Meter(), Names()
    with Site({}, meter) as a, Site({}, meter) as b, Site({}, meter) as c:
        urls, expected = bundle_of_200([a, b, c])
        results = []
        for result in fetch_all(urls, rules(a, b, c, resolver=names)):
            data = result.file.read() if result.ok else None
            results.append((result, data))
            result.close()
    assert [r.url for r, _ in results] == urls
    for result, data in results:
        if result.url.endswith("/missing.pdf"):
            assert result.error == "HTTP 404"
            continue
        assert data == expected[result.url], result
        assert result.sha256 == hashlib.sha256(data).hexdigest() and result.size == len(data)
    flaky = next(r for r, _ in results if r.url.endswith("/flaky.pdf"))
    assert flaky.attempts == 2
    hops = next(r for r, _ in results if r.url.endswith("/hop/0"))
    assert hops.final_url == a.url("/hop/3", host="hop3.example")
    assert [names.calls[f"hop{n}.example"] for n in range(4)] == [1, 1, 1, 1]
    assert max(meter.peak.values()) == 2 and 3 <= meter.peak_total <= 8


def test_no_more_than_eight_connections_in_all_across_six_servers():
    meter = Meter()
    with contextlib.ExitStack() as stack:
        sites = [stack.enter_context(Site({}, meter)) for _ in range(6)]
        urls = []
        for n in range(48):
            sites[n % 6].routes[f"/{n}"] = file(PDF, delay=0.2)
            urls.append(sites[n % 6].url(f"/{n}"))
        results = list(fetch_all(urls, rules(*sites)))
    assert all(r.ok for r in results)
    assert meter.peak_total == 8 and max(meter.peak.values()) == 2


def test_no_more_than_the_read_ahead_is_fetched_while_the_first_url_holds_up_the_rest():
    release = threading.Event()

    def held(h):
        release.wait(timeout=20)
        file(PDF)(h)

    with Site({"/0": held, **{f"/{n}": file(PDF) for n in range(1, 40)}}) as site:
        made = rules(site, concurrency=4, per_host=4)
        results = fetch_all([site.url(f"/{n}") for n in range(40)], made)
        with ThreadPoolExecutor(1) as consumer:
            first = consumer.submit(next, results)
            wait_until(lambda: sum(site.hits.values()) == made.read_ahead, timeout=10)
            with pytest.raises(TimeoutError):
                wait_until(lambda: sum(site.hits.values()) > made.read_ahead, timeout=0.5)
            release.set()
            rest = [first.result(timeout=10), *results]
    assert len(rest) == 40 and all(r.ok for r in rest)


def test_a_cancelled_bundle_stops_mid_drip_long_before_its_deadline():
    """The drips never end and the deadline is 10 minutes away: stopping in a small fraction
    of it is the cancel's doing, however loaded the machine (the time taken is printed)."""
    cancelled = threading.Event()
    dripping = pieces(drip(), {"Content-Type": "application/pdf"}, every=0.2)
    with Site({f"/{n}": dripping for n in range(20)}) as site:
        made = rules(site, per_host=8, policy={"deadline": 600.0})
        results = fetch_all([site.url(f"/{n}") for n in range(20)], made, cancelled.is_set)
        with ThreadPoolExecutor(1) as consumer:
            outcome = consumer.submit(list, results)
            wait_until(lambda: site.meter.total == 8, timeout=30)
            started, asked = time.monotonic(), sum(site.hits.values())
            cancelled.set()
            with pytest.raises(Stopped):
                outcome.result(timeout=60)
            wait_until(lambda: site.meter.total == 0, timeout=60)
            stopped_after = time.monotonic() - started
    assert sum(site.hits.values()) == asked  # no URL was asked for after the cancel
    assert stopped_after < 60
    print(f"\n[fan-out] a cancelled bundle stopped {stopped_after:.1f} s after the cancel")


def test_stop_is_asked_only_by_the_iterating_thread_a_few_times_a_second():
    """The export's stop() reads its row: it needs the job's thread, and must stay cheap."""
    askers: list[threading.Thread] = []

    def stop() -> bool:
        askers.append(threading.current_thread())
        return False

    routes = {f"/{n}": file(PDF, delay=0.3 if n % 20 == 0 else 0) for n in range(200)}
    with Site(routes) as site:
        started = time.monotonic()
        results = list(fetch_all([site.url(f"/{n}") for n in range(200)], rules(site), stop))
        elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert set(askers) == {threading.current_thread()}
    assert 1 <= len(askers) <= elapsed / 0.2 + 2


def test_a_url_waiting_for_a_connection_to_its_server_does_not_spend_its_deadline():
    """Three 1-second answers from one server, one at a time: the last waits 2 s for its
    turn, yet its 1.5 s deadline counts from its own request."""
    with Site({f"/{n}": file(PDF, delay=1.0) for n in range(3)}) as site:
        made = rules(site, per_host=1, policy={"deadline": 1.5})
        results = list(fetch_all([site.url(f"/{n}") for n in range(3)], made))
    assert [r.error for r in results] == [None, None, None]
    assert site.meter.peak_total == 1


def test_the_downloads_share_one_byte_budget_for_the_bundle():
    body = PDF + bytes(2**20)
    with Site({f"/{n}": file(body) for n in range(10)}) as site:
        made = rules(site, bundle_max_bytes=int(5.5 * len(body)))
        results = list(fetch_all([site.url(f"/{n}") for n in range(10)], made))
    kept = [r for r in results if r.ok]
    assert kept and sum(r.size for r in kept) <= made.bundle_max_bytes
    assert all(r.error == "the bundle's limit of 5.5 MB was reached" for r in results if not r.ok)
    assert len(kept) < 10


def test_a_url_given_twice_is_refused_before_anything_is_fetched():
    with pytest.raises(ValueError, match="each URL must appear once"):
        fetch_all(["https://a.example/x", "https://a.example/x"], rules())
