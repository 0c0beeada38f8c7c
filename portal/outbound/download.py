"""One customer URL into a spooled temp file, within limits a hostile server cannot stretch.

A link bundle fetches URLs its customer typed, from servers nobody at Sitepack controls. Each
hop is vetted by `guard.vet` and dialled at the vetted address by `fetch.opened` (the one way
Sitepack dials out); redirects are followed here, by hand, at most MAX_REDIRECTS of them, each
Location vetted again. One total deadline covers every attempt, hop and wait of a URL, so a
server that drips a byte a second ends there (a silent one at most one read timeout later:
no read waits longer than the time left when its request went out). Sizes are counted
after decoding gzip/deflate in pieces of at most CHUNK bytes (zlib's max_length), so a gzip
bomb stops at the cap having inflated no more than one piece. The type is sniffed from the
first bytes (`sniff.py`), not taken from the header. 429, 5xx, timeouts and broken
connections are tried again with exponential backoff and jitter, honouring Retry-After
within `Rules.max_wait`; everything else fails at once. A failure is a Download with a
one-line `error`, never an exception: the bundle lists it in ERRORS.txt and carries on.

httpcore, not httpx: the address dialled is chosen by a network backend, which httpx's API
does not take; httpcore, httpx's own transport, does, and `fetch.py` already uses it for
webhooks. httpx on top would add a second layer of timeouts and redirects to switch off.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import IO
from urllib.parse import urljoin

import httpcore

from portal.outbound import fetch, sniff
from portal.outbound.guard import Policy, Refused, Target, policy_for, vet

MAX_REDIRECTS = 3
CHUNK = 64 * 1024
# Decoded gzip and zlib alike: zlib's header detection (32 + the largest window).
ZLIB_AUTO = 32 + zlib.MAX_WBITS
HEADERS = {"Accept": "*/*", "Accept-Encoding": "identity", "User-Agent": "Sitepack link bundle"}
Gate = Callable[[Target], AbstractContextManager]
logger = logging.getLogger(__name__)


def never() -> bool:
    return False


def no_gate(target: Target) -> AbstractContextManager:
    return nullcontext()


class Stopped(Exception):
    """`stop()` answered true: the bundle was cancelled, its remaining URLs not fetched."""


class Failed(Exception):
    """Why a URL gave no file, in one line; `retry` when trying again may help."""

    def __init__(self, reason: str, retry: bool = False, wait: float | None = None):
        super().__init__(reason)
        self.retry, self.wait = retry, wait


@dataclass(frozen=True)
class Rules:
    """Everything a bundle's fetching obeys. `policy` is the guard's: where a URL may lead,
    connect and read timeouts, `deadline` (seconds per URL, all attempts) and `max_bytes`
    (per file, decoded)."""

    policy: Policy
    allowed_types: frozenset[str]
    bundle_max_bytes: int
    concurrency: int = 8
    per_host: int = 2
    attempts: int = 3
    # First retry's wait in seconds, doubled for each next one, with jitter; no wait, not even
    # a server's Retry-After, passes max_wait.
    backoff: float = 1.0
    max_wait: float = 30.0
    # Each file stays in memory up to this size, then moves to a temp file in work_dir.
    spool_bytes: int = 2**20
    work_dir: str | None = None

    @property
    def read_ahead(self) -> int:
        """Downloads running or waiting to be taken: what memory and disk hold at most."""
        return 2 * self.concurrency


def rules_for(config) -> Rules:
    """The app's rules: its outbound policy with the BUNDLE_* limits, and plain http allowed
    everywhere: a customer's links are often http, and the guard judges the address the
    same either way (https is for webhooks, whose signed payload must not travel in clear)."""
    policy = replace(
        policy_for(config),
        require_https=False,
        deadline=config["BUNDLE_FETCH_DEADLINE_SECONDS"],
        max_bytes=config["BUNDLE_ENTRY_MAX_BYTES"],
    )
    return Rules(
        policy=policy,
        allowed_types=config["BUNDLE_ALLOWED_TYPES"],
        bundle_max_bytes=config["BUNDLE_MAX_BYTES"],
        concurrency=config["BUNDLE_FETCH_CONCURRENCY"],
        per_host=config["BUNDLE_FETCH_PER_HOST"],
        work_dir=config["EXPORT_WORK_DIR"],
    )


@dataclass(frozen=True)
class Download:
    """One URL's outcome. With `file` (at offset 0, the caller closes it): `size` bytes whose
    SHA-256 is `sha256`, of the sniffed `content_type`. Without: `error` says why."""

    url: str
    file: IO[bytes] | None = None
    size: int = 0
    sha256: str = ""
    content_type: str = ""
    # Where the file came from after redirects, and the name its server gave (not cleaned).
    final_url: str = ""
    filename: str | None = None
    status: int | None = None
    attempts: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.file is not None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class Budget:
    """The bytes one bundle may still fetch, shared by its download threads."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0
        self._lock = threading.Lock()

    def take(self, size: int) -> None:
        with self._lock:
            if self.used + size > self.limit:
                raise Failed(f"the bundle's limit of {megabytes(self.limit)} was reached")
            self.used += size

    def give_back(self, size: int) -> None:
        with self._lock:
            self.used -= size


@dataclass
class Clock:
    """A URL's one deadline. It starts with the first request sent, not while the URL waits
    for a free connection to its server behind other downloads."""

    seconds: float
    started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def left(self) -> float:
        elapsed = 0.0 if self.started is None else time.monotonic() - self.started
        return self.seconds - elapsed

    def check(self) -> None:
        if self.left() <= 0:
            raise Failed(f"no complete answer within {self.seconds:g} s")


@dataclass
class Context:
    """What one download shares between its attempts."""

    rules: Rules
    budget: Budget | None
    stop: Callable[[], bool]
    gate: Gate
    clock: Clock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.rules.policy.deadline)


def download(
    url: str,
    rules: Rules,
    budget: Budget | None = None,
    stop: Callable[[], bool] = never,
    gate: Gate = no_gate,
) -> Download:
    """Fetch `url` into a spooled temp file, trying again while that may help.

    `budget` is the bundle's, shared with the other downloads; `stop()` is checked between
    pieces and during waits; `gate(target)` holds the connection slot for one request."""
    ctx = Context(rules, budget, stop, gate)
    for attempt in range(1, rules.attempts + 1):
        try:
            return replace(_attempt(url, ctx), url=url, attempts=attempt)
        except Stopped:
            raise
        except Exception as exc:  # noqa: BLE001 - one link's surprise must not sink its bundle
            failure = verdict(exc)
        if not failure.retry or attempt == rules.attempts:
            break
        wait = backoff(attempt, failure.wait, rules)
        if wait >= ctx.clock.left():
            break
        try:
            pause(wait, stop)
        except Failed as exc:
            failure = exc
            break
    suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
    return Download(url, attempts=attempt, error=" ".join(f"{failure}{suffix}".split()))


def verdict(exc: Exception) -> Failed:
    """What an attempt's exception means for its URL. A Failed stands, even when closing the
    connection it was found on then broke (a cap or a refused type is final however the
    server hangs up); anything unforeseen fails the URL at once, logged, in one line."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, Failed) and not cause.retry:
            return cause
        cause = cause.__context__
    if isinstance(exc, Failed):
        return exc
    logger.warning("fetching a link failed unexpectedly", exc_info=exc)
    return Failed(f"could not be fetched ({type(exc).__name__}: {exc})")


def backoff(attempt: int, retry_after: float | None, rules: Rules) -> float:
    """Exponential with full jitter above half, or the server's Retry-After; within max_wait."""
    wait = rules.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
    if retry_after is not None:
        wait = retry_after
    return min(wait, rules.max_wait)


def pause(seconds: float, stop: Callable[[], bool]) -> None:
    """Wait out a backoff, looking at `stop()` a few times a second."""
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        if stop():
            raise Failed("stopped: the bundle was cancelled")
        time.sleep(min(left, 0.1))


def _attempt(url: str, ctx: Context) -> Download:
    """One try: each hop vetted, sent through the gate, until an answer that is not a redirect."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            target = vet(url, ctx.rules.policy, time.monotonic() + ctx.clock.left())
        except Refused as exc:
            raise Failed(str(exc)) from exc
        with ctx.gate(target):
            ctx.clock.start()
            ctx.clock.check()
            read = min(ctx.rules.policy.read_timeout, ctx.clock.left())
            try:
                with fetch.opened("GET", target, ctx.rules.policy, HEADERS, b"", read) as answer:
                    location = _redirect(answer)
                    if location is None:
                        return _receive(url, answer, ctx)
            except fetch.Unreachable as exc:
                ctx.clock.check()
                raise Failed(str(exc), retry=True) from exc
        url = follow(url, location)
    raise Failed(f"more than {MAX_REDIRECTS} redirects")


def follow(url: str, location: str) -> str:
    try:
        return urljoin(url, location)
    except ValueError:
        raise Failed(f"a redirect led to “{location}”, which is not a valid URL") from None


def _redirect(answer: httpcore.Response) -> str | None:
    """The Location to follow, None for a 2xx; Failed for any other answer."""
    status, headers = answer.status, fetch.header_dict(answer)
    if status in fetch.REDIRECTS and headers.get("location"):
        return headers["location"]
    if 200 <= status < 300:
        return None
    if status == 429 or status >= 500:
        raise Failed(f"HTTP {status}", retry=True, wait=retry_after(headers.get("retry-after")))
    raise Failed(f"HTTP {status}")


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, says RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _receive(url: str, answer: httpcore.Response, ctx: Context) -> Download:
    headers = fetch.header_dict(answer)
    _check_announced(headers, ctx.rules.policy.max_bytes)
    decoder = Decoder(headers.get("content-encoding"))
    with Sink(ctx, headers.get("content-type")) as sink:
        for raw in answer.iter_stream():
            for piece in decoder.feed(raw):
                sink.write(piece)
            ctx.clock.check()
            if ctx.stop():
                raise Failed("stopped: the bundle was cancelled")
        decoder.finish()
        return sink.download(url, answer.status, headers.get("content-disposition"))


def _check_announced(headers: dict[str, str], cap: int) -> None:
    """A plain body announced over the cap is refused before a byte of it is read."""
    announced = headers.get("content-length", "")
    plain = headers.get("content-encoding", "identity") == "identity"
    if plain and announced.isdigit() and int(announced) > cap:
        raise Failed(f"the file announces {int(announced):,} bytes, over {megabytes(cap)}")


class Decoder:
    """Content-Encoding undone in pieces of at most CHUNK bytes: gzip (every member of it)
    and deflate; others are refused, as the request asked for none."""

    def __init__(self, encoding: str | None):
        self.encoding = (encoding or "identity").strip().lower()
        if self.encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise Failed(f"Content-Encoding {self.encoding} is not supported")
        self._zlib = None if self.encoding == "identity" else zlib.decompressobj(ZLIB_AUTO)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        while data:
            try:
                piece = self._zlib.decompress(data, CHUNK)
            except zlib.error as exc:
                raise Failed(f"the {self.encoding} body is corrupt ({exc})") from exc
            yield piece
            if self._zlib.eof and self._zlib.unused_data:
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(ZLIB_AUTO)
            else:
                data = self._zlib.unconsumed_tail

    def finish(self) -> None:
        if self._zlib is not None and not self._zlib.eof:
            raise Failed(f"the {self.encoding} body ends early", retry=True)


class Sink:
    """The decoded body on its way into a spooled temp file: counted against the file's cap
    and the bundle's budget, hashed, and sniffed once its first bytes are in."""

    def __init__(self, ctx: Context, declared: str | None):
        self.ctx, self.declared = ctx, declared
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (the Download's owner closes it)
            max_size=ctx.rules.spool_bytes, dir=ctx.rules.work_dir
        )
        self.digest, self.size, self.head = hashlib.sha256(), 0, b""
        self.content_type: str | None = None

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        """A failed body leaves nothing behind: its file closed, its bytes back in the budget."""
        if exc_type is not None:
            self.file.close()
            if self.ctx.budget:
                self.ctx.budget.give_back(self.size)

    def write(self, piece: bytes) -> None:
        cap = self.ctx.rules.policy.max_bytes
        if self.size + len(piece) > cap:
            raise Failed(f"the file is larger than {megabytes(cap)}")
        if self.ctx.budget:
            self.ctx.budget.take(len(piece))
        self.size += len(piece)
        if self.content_type is None:
            self.head += piece[: sniff.HEAD_BYTES - len(self.head)]
            if len(self.head) >= sniff.HEAD_BYTES:
                self._check_type()
        self.digest.update(piece)
        self.file.write(piece)

    def _check_type(self) -> None:
        found = sniff.sniff(self.head, self.declared)
        if found not in self.ctx.rules.allowed_types:
            said = f" (the server said {self.declared})" if self.declared else ""
            raise Failed(f"{found} is not an allowed type{said}")
        self.content_type = found

    def download(self, url: str, status: int, disposition: str | None) -> Download:
        if not self.size:
            raise Failed("the server sent an empty file")
        if self.content_type is None:
            self._check_type()
        self.file.seek(0)
        return Download(
            url=url,
            file=self.file,
            size=self.size,
            sha256=self.digest.hexdigest(),
            content_type=self.content_type,
            final_url=url,
            filename=disposition_filename(disposition),
            status=status,
        )


def disposition_filename(value: str | None) -> str | None:
    """The filename of a Content-Disposition header (filename* decoded), as the server wrote it."""
    if not value:
        return None
    message = EmailMessage()
    message["Content-Disposition"] = value
    return message.get_filename()


def megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB".replace(".0 MB", " MB")
