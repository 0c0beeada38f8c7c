"""One outbound HTTP request to a vetted address, with deadlines and a cap on the answer.

httpcore's connection pool takes a network backend: ours connects to the address `guard.vet`
approved instead of resolving the name again, while the request still names the host (the
Host header, and for https the TLS server name and the certificate check). Redirects are
never followed by the transport; a caller that wants them gets each Location vetted again.
"""

from __future__ import annotations

import ssl
import time
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

    def __init__(self, target: Target, deadline: float):
        self.target = target
        self.deadline = deadline  # time.monotonic() by which the whole request must be done

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

    def __init__(self, inner: httpcore.NetworkStream, deadline: float):
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


def time_left(deadline: float, timeout: float | None) -> float:
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
        answer = _once(method, vet(url, policy), policy, headers or {}, content, started)
        location = answer.headers.get("location")
        if answer.status not in REDIRECTS or not location or not max_redirects:
            return answer
        url, method, content = urljoin(url, location), "GET", b""
    raise Refused(f"More than {max_redirects} redirects.")


def _once(method, target: Target, policy: Policy, headers, content, started) -> Answer:
    timeouts = {
        "connect": policy.connect_timeout,
        "read": policy.read_timeout,
        "write": policy.read_timeout,
        "pool": policy.connect_timeout,
    }
    url = httpcore.URL(scheme=target.scheme, host=target.host, port=target.port, target=target.path)
    backend = PinnedBackend(target, started + policy.deadline)
    pool = httpcore.ConnectionPool(
        ssl_context=ssl.create_default_context(), network_backend=backend
    )
    try:
        with (
            pool,
            pool.stream(
                method, url, headers=headers, content=content, extensions={"timeout": timeouts}
            ) as response,
        ):
            body, truncated = _read_capped(response, policy.max_bytes)
    except httpcore.TimeoutException as exc:
        raise Unreachable("timed out") from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise Unreachable(str(exc) or type(exc).__name__) from exc
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
    return Answer(response.status, headers, body, truncated, time.monotonic() - started)


def _read_capped(response, max_bytes: int) -> tuple[bytes, bool]:
    """At most max_bytes, read as it streams in: the rest is never read."""
    body = bytearray()
    for chunk in response.iter_stream():
        body += chunk
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False
