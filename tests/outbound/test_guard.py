"""The outbound guard refuses every way of spelling an address inside Sitepack's network,
and a trap server on 127.0.0.1 proves that a refused request never connects."""

from __future__ import annotations

import threading
import time

import pytest

from portal.config import ConfigError, from_environment
from portal.outbound import fetch
from portal.outbound.download import download
from portal.outbound.guard import Allowed, Policy, Refused, policy_for, system_resolver, vet
from tests.outbound.sites import rules
from tests.servers import Receiver

HANG_SECONDS = 60  # how long the hanging resolver would hold a caller that waited for it


def stub(answers: dict[str, list[str]]):
    """A resolver that knows only `answers`, and counts its calls per name."""
    calls: dict[str, int] = {}

    def resolve(host: str, port: int) -> list[str]:
        calls[host] = calls.get(host, 0) + 1
        return answers[host]

    resolve.calls = calls
    return resolve


@pytest.fixture
def trap():
    with Receiver() as server:
        yield server


def allowing(*entries: str, resolver=system_resolver, **kw) -> Policy:
    return Policy(allowlist=tuple(Allowed.parse(e) for e in entries), resolver=resolver, **kw)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "0177.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:1]"],
)
def test_loopback_in_any_spelling_is_refused_and_never_reached(trap, host):
    with pytest.raises(Refused, match="not a public internet address"):
        fetch.request("POST", f"https://{host}:{trap.port}/hook", Policy())
    with pytest.raises(Refused):
        fetch.request("POST", f"http://{host}:{trap.port}/hook", allowing("10.0.0.0/8"))
    assert trap.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # the cloud metadata service
        "10.1.2.3",
        "192.168.0.10",
        "100.100.100.200",  # shared address space (another cloud's metadata)
        "fd00:ec2::254",
        "fe80::1",
        "::7f00:1",  # IPv4-compatible
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "224.0.0.1",
        "0.0.0.0",
    ],
)
def test_a_name_resolving_to_an_address_that_is_not_global_is_refused(address):
    resolver = stub({"hooks.example": [address]})
    with pytest.raises(Refused, match="not a public internet address"):
        vet("https://hooks.example/in", Policy(resolver=resolver))


def test_one_private_address_among_public_ones_refuses_the_name():
    resolver = stub({"mixed.example": ["93.184.215.14", "10.0.0.7"]})
    with pytest.raises(Refused):
        vet("https://mixed.example/", Policy(resolver=resolver))


def test_a_public_address_is_vetted_and_is_the_one_to_dial():
    resolver = stub({"hooks.example": ["93.184.215.14"]})
    target = vet("https://hooks.example/in?x=1", Policy(resolver=resolver))
    assert (target.host, target.port, target.address, target.path) == (
        "hooks.example",
        443,
        "93.184.215.14",
        "/in?x=1",
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example/", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://hooks.example/", "Only http and https"),
        ("https://user:pw@hooks.example/", "user name or password"),
        ("https://user@hooks.example/", "user name or password"),
        ("https:///nohost", "no host name"),
        ("https://hooks.example:99999/", "port"),
        ("http://hooks.example/", "must start with https"),
        ("https://.hooks.example/", "host name is not valid"),
        ("https://[::1", "host name is not valid"),
    ],
)
def test_urls_of_the_wrong_shape_are_refused(url, reason):
    resolver = stub({"hooks.example": ["93.184.215.14"]})
    with pytest.raises(Refused, match=reason):
        vet(url, Policy(resolver=resolver))


def test_plain_http_is_allowed_in_development_and_to_an_allowlisted_address():
    resolver = stub({"hooks.example": ["93.184.215.14"], "local.test": ["127.0.0.1"]})
    assert vet("http://hooks.example/", Policy(require_https=False, resolver=resolver))
    policy = allowing("127.0.0.1:8123", resolver=resolver)
    assert vet("http://local.test:8123/", policy).address == "127.0.0.1"


def test_the_allowlist_admits_only_the_port_it_names(trap):
    with Receiver() as other:
        policy = allowing(f"127.0.0.1:{other.port}")
        with pytest.raises(Refused):
            fetch.request("POST", f"http://127.0.0.1:{trap.port}/", policy)
        assert fetch.request("POST", f"http://127.0.0.1:{other.port}/", policy).status == 200
    assert trap.requests == []


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(trap):
    with Receiver(status=302, headers={"Location": f"{trap.url}/metadata"}) as redirector:
        policy = allowing(f"127.0.0.1:{redirector.port}")
        with pytest.raises(Refused):
            fetch.request("GET", f"{redirector.url}/start", policy, max_redirects=3)
        answer = fetch.request("POST", f"{redirector.url}/start", policy)
        assert answer.status == 302
        assert len(redirector.requests) == 2
    assert trap.requests == []


def test_the_vetted_address_is_dialled_with_the_name_in_the_host_header():
    """The resolver is asked once; a second answer (DNS rebinding) would never be used."""
    with Receiver() as receiver:
        resolver = stub({"hooks.example": ["127.0.0.1"]})
        policy = allowing(f"127.0.0.1:{receiver.port}", resolver=resolver)
        answer = fetch.request("POST", f"http://hooks.example:{receiver.port}/in", policy)
    assert answer.status == 200
    assert resolver.calls == {"hooks.example": 1}
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.example:{receiver.port}"
    assert request.path == "/in"


def test_an_unknown_name_is_refused_with_the_resolvers_reason():
    with pytest.raises(Refused, match="could not be resolved"):
        vet("https://no-such-host.invalid/", Policy())


@pytest.mark.parametrize("entry", ["127.0.0.1", "localhost:80", "10.0.0.0/33"])
def test_a_malformed_allowlist_entry_is_a_value_error(entry):
    with pytest.raises(ValueError):
        Allowed.parse(entry)


def test_the_apps_policy_reads_the_allowlist_and_wants_https_outside_development():
    production = policy_for(from_environment({"OUTBOUND_ALLOWLIST": "10.0.0.0/8, 127.0.0.1:9"}))
    assert production.require_https
    assert [str(entry.network) for entry in production.allowlist] == ["10.0.0.0/8", "127.0.0.1/32"]
    assert not policy_for(from_environment({"SITEPACK_ENV": "development"})).require_https


def test_a_malformed_allowlist_stops_start_up_naming_the_setting():
    with pytest.raises(ConfigError, match="OUTBOUND_ALLOWLIST: 'localhost:80'"):
        from_environment({"OUTBOUND_ALLOWLIST": "localhost:80"})


@pytest.fixture
def hanging_resolver():
    """A resolver that gives up only when the test ends, as a name server that never replies
    would leave getaddrinfo waiting. It never answers an address, so a caller that waited it
    out dials nothing."""
    released = threading.Event()

    def resolve(host: str, port: int) -> list[str]:
        released.wait(HANG_SECONDS)
        raise Refused(f"{host} did not answer.")

    yield resolve
    released.set()


def test_a_name_that_never_resolves_is_refused_at_the_deadline(hanging_resolver):
    policy = Policy(resolver=hanging_resolver, deadline=0.5)
    started = time.monotonic()
    with pytest.raises(Refused, match="could not be resolved in time"):
        vet("https://slow.example/", policy)
    assert time.monotonic() - started < HANG_SECONDS / 2


def test_a_request_whose_name_never_resolves_ends_within_its_deadline(hanging_resolver, trap):
    policy = Policy(resolver=hanging_resolver, deadline=0.5)
    started = time.monotonic()
    with pytest.raises(Refused, match="could not be resolved in time"):
        fetch.request("POST", "https://slow.example/hook", policy)
    assert time.monotonic() - started < HANG_SECONDS / 2
    assert trap.requests == []


def test_a_bundle_link_whose_name_never_resolves_fails_within_its_deadline(hanging_resolver):
    slow = rules(resolver=hanging_resolver, policy={"deadline": 0.5})
    started = time.monotonic()
    result = download("https://slow.example/report.pdf", slow)
    assert result.error == "slow.example could not be resolved in time."
    assert time.monotonic() - started < HANG_SECONDS / 2


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://a..b/hook", "host name is not valid"),
        ("https://" + "a" * 64 + ".test/hook", "host name is not valid"),
        ("https://[::1/hook", "host name is not valid"),
        ("https://" + "a" * 60 + ".a" * 100 + ".test/hook", "longer than 253"),
        ("https://docs.test:" + "9" * 40 + "/hook", "port is not a number"),
    ],
)
def test_a_host_or_port_that_is_none_is_refused_before_resolving(url, says):
    """The resolver's IDNA codec raised UnicodeError on these, and urlsplit ValueError."""
    resolver = stub({})
    with pytest.raises(Refused, match=says):
        vet(url, Policy(resolver=resolver))
    assert resolver.calls == {}
