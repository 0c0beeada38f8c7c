"""Limits on one outbound request, against real servers on 127.0.0.1 (allowlisted)."""

from __future__ import annotations

import socket

import pytest

from portal.outbound import fetch
from portal.outbound.guard import Allowed, Policy
from tests.servers import Receiver, free_port, self_signed_certificate


def policy_for(port: int, **kw) -> Policy:
    return Policy(allowlist=(Allowed.parse(f"127.0.0.1:{port}"),), **kw)


def test_the_answer_is_capped_at_max_bytes_and_marked_truncated():
    with Receiver(body=b"x" * 200_000) as receiver:
        answer = fetch.request("POST", receiver.url, policy_for(receiver.port))
    assert answer.status == 200
    assert len(answer.body) == 64 * 1024 and answer.truncated


def test_a_short_answer_comes_whole_with_its_headers():
    with Receiver(status=202, body=b"queued", headers={"X-Trace": "t1"}) as receiver:
        answer = fetch.request("POST", receiver.url, policy_for(receiver.port), content=b"{}")
    assert (answer.status, answer.body, answer.truncated) == (202, b"queued", False)
    assert answer.headers["x-trace"] == "t1"
    assert receiver.requests[0].body == b"{}"


def test_a_slow_answer_times_out():
    with Receiver(delay=1) as receiver, pytest.raises(fetch.Unreachable, match="timed out"):
        fetch.request("POST", receiver.url, policy_for(receiver.port, read_timeout=0.3))


def test_a_closed_port_is_unreachable():
    port = free_port()
    with pytest.raises(fetch.Unreachable):
        fetch.request("POST", f"http://127.0.0.1:{port}/", policy_for(port))


def test_a_server_that_never_answers_tls_times_out_on_https():
    """A listener that accepts and stays silent: the TLS handshake is bounded by the timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(fetch.Unreachable):
            fetch.request("POST", f"https://127.0.0.1:{port}/", policy_for(port, read_timeout=0.3))


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An https receiver whose certificate names hooks.example, trusted as a CA through
    SSL_CERT_FILE (what ssl.create_default_context reads) for this test alone."""
    cert, key = self_signed_certificate(tmp_path, "hooks.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with Receiver(tls=(cert, key)) as receiver:
        yield receiver


def test_https_dials_the_vetted_address_and_checks_the_certificate_against_the_name(
    tls_receiver,
):
    resolver = lambda host, port: ["127.0.0.1"]  # noqa: E731
    policy = policy_for(tls_receiver.port, resolver=resolver)
    answer = fetch.request("POST", f"https://hooks.example:{tls_receiver.port}/in", policy)
    assert answer.status == 200
    assert tls_receiver.server_names == ["hooks.example"]
    assert tls_receiver.requests[0].headers["host"] == f"hooks.example:{tls_receiver.port}"


def test_https_to_a_name_the_certificate_does_not_cover_is_unreachable(tls_receiver):
    resolver = lambda host, port: ["127.0.0.1"]  # noqa: E731
    policy = policy_for(tls_receiver.port, resolver=resolver)
    with pytest.raises(fetch.Unreachable, match="CERTIFICATE_VERIFY_FAILED"):
        fetch.request("POST", f"https://other.example:{tls_receiver.port}/in", policy)
    assert tls_receiver.requests == []


def test_the_overall_deadline_stops_an_answer_that_each_read_timeout_would_allow():
    with Receiver(delay=3) as receiver:
        policy = policy_for(receiver.port, read_timeout=5, deadline=1)
        with pytest.raises(fetch.Unreachable, match="timed out"):
            fetch.request("POST", receiver.url, policy)
