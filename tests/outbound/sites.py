"""Scripted HTTP servers on loopback for the link-bundle fetcher: honest, slow and hostile.

A Site answers each path with a route, a function that writes the whole answer (so a route
may lie about Content-Length, drip, or never end). It counts hits per path, and a Meter
shared by several sites counts the connections open at once, per site and in all.

A connection counts as closed once its server starts writing the answer's last piece: the
client cannot finish (and open the next one) before reading that piece, so the peak never
overcounts what the client held, whatever the server threads' timing. A route that never
ends is counted until the client hangs up.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from portal.outbound.download import Rules
from portal.outbound.guard import Allowed, Policy

Route = Callable[["Handler"], None]
PDF = b"%PDF-1.7\n"


class Meter:
    """Connections open at once: now and at the peak, per site port and in all."""

    def __init__(self) -> None:
        self.open: Counter[int] = Counter()
        self.peak: Counter[int] = Counter()
        self.total = self.peak_total = 0
        self._lock = threading.Lock()

    def enter(self, port: int) -> None:
        with self._lock:
            self.open[port] += 1
            self.total += 1
            self.peak[port] = max(self.peak[port], self.open[port])
            self.peak_total = max(self.peak_total, self.total)

    def leave(self, port: int) -> None:
        with self._lock:
            self.open[port] -= 1
            self.total -= 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        # Answers go out in several writes: without this, Nagle holds each small one back
        # until the client's delayed ACK, 40 ms a request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counted = True
        self.server.meter.enter(self.server.server_port)

    def finish(self) -> None:
        self.last_piece_next()
        super().finish()

    def last_piece_next(self) -> None:
        if self.counted:
            self.counted = False
            self.server.meter.leave(self.server.server_port)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        site = self.server
        with site.lock:
            site.hits[self.path] += 1
            site.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
        route = site.routes.get(self.path)
        # The client hanging up is what a cap or a deadline does.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            (route or status(404))(self)

    def head(self, code: int, headers: dict[str, str]) -> None:
        self.send_response(code)
        for name, value in {"Connection": "close", **headers}.items():
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, routes: dict[str, Route], meter: Meter):
        super().__init__(address, Handler)
        self.routes, self.meter = routes, meter
        self.hits: Counter[str] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        self.lock = threading.Lock()


class Site:
    """`with Site({"/a.pdf": file(PDF + b"...")}) as site: site.url("/a.pdf")`."""

    def __init__(
        self, routes: dict[str, Route], meter: Meter | None = None, host="127.0.0.1", port=0
    ):
        self.routes, self.meter, self.address = routes, meter or Meter(), (host, port)

    def __enter__(self) -> Site:
        self.server = Server(self.address, self.routes, self.meter)
        # Polled often, so stopping a site (six in one test) takes no half second each.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def hits(self) -> Counter[str]:
        return self.server.hits

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"


def file(
    data: bytes, content_type="application/pdf", headers: dict | None = None, delay=0.0
) -> Route:
    """`data` with its length, after `delay` seconds (a slow server, on purpose)."""

    def route(h: Handler) -> None:
        if delay:
            threading.Event().wait(delay)
        h.head(
            200, {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})}
        )
        h.wfile.write(data[:-1])
        h.last_piece_next()
        h.wfile.write(data[-1:])

    return route


def status(code: int, headers: dict | None = None) -> Route:
    def route(h: Handler) -> None:
        h.last_piece_next()
        h.head(code, {"Content-Length": "0", **(headers or {})})

    return route


def redirect(location: str, code=302) -> Route:
    return status(code, {"Location": location})


def in_turn(*routes: Route) -> Route:
    """The first hit gets the first route, the next the next; the last one from then on."""
    count = iter(range(10**9))

    def route(h: Handler) -> None:
        routes[min(next(count), len(routes) - 1)](h)

    return route


def pieces(chunks: Iterable[bytes], headers: dict[str, str], every=0.0) -> Route:
    """A chunked answer of `chunks`, one each `every` seconds; endless if they are."""

    def route(h: Handler) -> None:
        h.head(200, {"Transfer-Encoding": "chunked", **headers})
        for chunk in chunks:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if every:
                threading.Event().wait(every)
        h.last_piece_next()
        h.wfile.write(b"0\r\n\r\n")

    return route


def endless(block=PDF + b"x" * 65_000) -> Iterable[bytes]:
    while True:
        yield block


def drip(start=PDF) -> Iterable[bytes]:
    """The PDF signature, then one byte a second, for ever."""
    yield start
    while True:
        yield b"."


def lying_length(announced: int, data: bytes) -> Route:
    """Announces `announced` bytes, sends `data`, then hangs up."""

    def route(h: Handler) -> None:
        h.head(200, {"Content-Type": "application/pdf", "Content-Length": str(announced)})
        h.last_piece_next()
        h.wfile.write(data)

    return route


def gzip_bomb(decoded_mb: int) -> bytes:
    """A PDF-looking gzip body that inflates to `decoded_mb` MB: one member of 1 MB of
    zeros (1 KB compressed), repeated, which is still one valid gzip stream."""
    member = gzip.compress(PDF + bytes(2**20 - len(PDF)), compresslevel=9, mtime=0)
    return member * decoded_mb


def timed(seconds: float) -> Callable[[], bool]:
    """A stop() that answers true from `seconds` after now on."""
    until = time.monotonic() + seconds
    return lambda: time.monotonic() > until


def rules(
    *sites: Site, resolver=None, policy: dict | None = None, types=("application/pdf",), **kw
) -> Rules:
    """Rules that allowlist `sites` (and nothing else), with waits short enough for tests."""
    allowlist = tuple(Allowed.parse(f"{s.host}:{s.port}") for s in sites)
    extra = {"resolver": resolver} if resolver else {}
    limits = {"deadline": 10.0, "max_bytes": 40 * 2**20, "read_timeout": 2.0, **(policy or {})}
    return Rules(
        policy=Policy(allowlist=allowlist, **limits, **extra),
        allowed_types=frozenset(types),
        **{"bundle_max_bytes": 2**30, "backoff": 0.05, "max_wait": 0.5, **kw},
    )


def together(route: Route, barrier: threading.Barrier) -> Route:
    """`route` once every route sharing `barrier` has a connection open: all at once."""

    def gated(h: Handler) -> None:
        barrier.wait(timeout=20)
        route(h)

    return gated
