"""Limits on one outbound request, against real servers on 127.0.0.1 (allowlisted)."""

from __future__ import annotations

import socket

import pytest

from portal.outbound import fetch
from portal.outbound.guard import Allowed, Policy
from tests.servers import Receiver, free_port


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
