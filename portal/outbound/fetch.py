"""One outbound HTTP request to a vetted address, with deadlines and a cap on the answer.

httpcore's connection pool takes a network backend: ours connects to the address `guard.vet`
approved instead of resolving the name again, while the request still names the host (the
Host header, and for https the TLS server name and the certificate check). Redirects are
never followed by the transport; a caller that wants them gets each Location vetted again.
`opened` is that one way to dial: `request` (webhooks) reads a capped answer through it,
`download.py` (link bundles) streams a file.
"""

from __future__ import annotations

import functools
import os
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import httpcore

from portal.outbound.guard import Policy, Refused, Target, vet

REDIRECTS = {301, 302, 303, 307, 308}


class Unreachable(Exception):
    """The request did not get an answer: refused, timed out, reset, or too slow overall."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    # The first Policy.max_bytes of the body; `truncated` when there was more.
    body: bytes
    truncated: bool
    seconds: float


class PinnedBackend(httpcore.SyncBackend):
    """Dials the vetted address whatever host the connection pool asks for, and gives every
    socket operation at most what is left of the request's overall deadline."""

    def __init__(self, target: Target, deadline: float | None):
        self.target = target
        # time.monotonic() by which the whole request must be done; None: the caller keeps time
        self.deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if host != self.target.host or port != self.target.port:
            raise httpcore.ConnectError(f"{host}:{port} was not vetted")
        timeout = time_left(self.deadline, timeout)
        stream = super().connect_tcp(
            self.target.address, port, timeout, local_address, socket_options
        )
        return DeadlineStream(stream, self.deadline)


class DeadlineStream(httpcore.NetworkStream):
    """A stream whose reads and writes stop at the deadline: a server that trickles its
    headers or body a byte at a time cannot hold a worker past it."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float | None):
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, time_left(self.deadline, timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, time_left(self.deadline, timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        timeout = time_left(self.deadline, timeout)
        return DeadlineStream(
            self.inner.start_tls(ssl_context, server_hostname, timeout), self.deadline
        )

    def get_extra_info(self, info: str):
        return self.inner.get_extra_info(info)


def time_left(deadline: float | None, timeout: float | None) -> float | None:
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the overall deadline passed")
    return left if timeout is None else min(timeout, left)


def request(
    method: str,
    url: str,
    policy: Policy,
    headers: dict[str, str] | None = None,
    content: bytes = b"",
    max_redirects: int = 0,
) -> Answer:
    """Send one request; with `max_redirects`, follow that many (as GETs: the redirects of a
    link a person pasted), each Location vetted like the first URL.

    Raises Refused when a URL (or a redirect's Location) may not be fetched, Unreachable
    when no answer came within the policy's limits."""
    started = time.monotonic()
    for _ in range(max_redirects + 1):
        target = vet(url, policy, started + policy.deadline)
        answer = _once(method, target, policy, headers or {}, content, started)
        location = answer.headers.get("location")
        if answer.status not in REDIRECTS or not location or not max_redirects:
            return answer
        url, method, content = urljoin(url, location), "GET", b""
    raise Refused(f"More than {max_redirects} redirects.")


def _once(method, target: Target, policy: Policy, headers, content, started) -> Answer:
    deadline = started + policy.deadline
    with opened(method, target, policy, headers, content, deadline=deadline) as response:
        body, truncated = _read_capped(response, policy.max_bytes)
    return Answer(
        response.status, header_dict(response), body, truncated, time.monotonic() - started
    )


@contextmanager
def opened(
    method: str,
    target: Target,
    policy: Policy,
    headers: dict[str, str],
    content: bytes = b"",
    read_timeout: float | None = None,
    deadline: float | None = None,
) -> Iterator[httpcore.Response]:
    """The answer from the vetted address, its body still unread: the one way Sitepack dials
    out. A failure to connect or read, inside the `with` too, becomes Unreachable. With a
    `deadline` (time.monotonic()), no socket operation runs past it."""
    read = policy.read_timeout if read_timeout is None else read_timeout
    timeouts = {
        "connect": policy.connect_timeout,
        "read": read,
        "write": read,
        "pool": policy.connect_timeout,
    }
    url = httpcore.URL(scheme=target.scheme, host=target.host, port=target.port, target=target.path)
    backend = PinnedBackend(target, deadline)
    pool = httpcore.ConnectionPool(ssl_context=tls_context(), network_backend=backend)
    try:
        with (
            pool,
            pool.stream(
                method, url, headers=headers, content=content, extensions={"timeout": timeouts}
            ) as response,
        ):
            yield response
    except httpcore.TimeoutException as exc:
        raise Unreachable("timed out") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise Unreachable(str(exc) or type(exc).__name__) from exc


def tls_context() -> ssl.SSLContext:
    """The system's CA store, loaded once: loading it costs ~80 ms of CPU, more than the rest
    of a request on loopback. Keyed by the variables OpenSSL finds the store with, so a
    test that points SSL_CERT_FILE at its own CA gets a context that trusts it."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return ssl.create_default_context()


def header_dict(response: httpcore.Response) -> dict[str, str]:
    """Header names lower-cased; of a repeated header, the last one."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}


def _read_capped(response, max_bytes: int) -> tuple[bytes, bool]:
    """At most max_bytes, read as it streams in: the rest is never read."""
    body = bytearray()
    for chunk in response.iter_stream():
        body += chunk
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False
