"""A bundle's URLs fetched a few at a time, handed back in the order given.

`Rules.concurrency` threads download (each request is blocking I/O; the GIL is free while
they wait), at most `Rules.per_host` at once to one server, keyed by the vetted address and
port, so a bundle never hammers a customer's server and one slow server cannot take every
thread. At most `Rules.read_ahead` downloads run or wait to be taken, so memory and disk stay
bounded whatever the bundle's length: a slow first URL holds the rest back rather than
letting finished files pile up. Memory holds at most read_ahead x `spool_bytes` of files
(16 MB at the defaults); the work dir at most read_ahead files, and never more than the
bundle's byte budget, which all downloads share.

`stop()` is asked a few times a second, from the iterating thread only; once it answers
true, `fetch_all` raises Stopped and the downloads still running end at their next piece or
wait (a silent server holds its thread until its read timeout, without holding up Stopped).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

from portal.outbound.download import Budget, Download, Rules, Stopped, download, never
from portal.outbound.guard import Target

POLL_SECONDS = 0.2


class HostSlots:
    """At most `per_host` requests at once to one address and port."""

    def __init__(self, per_host: int, halted: Callable[[], bool]):
        self.per_host, self.halted = per_host, halted
        self._slots: dict[tuple[str, int], threading.Semaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, target: Target) -> Iterator[None]:
        with self._lock:
            key = (target.address, target.port)
            semaphore = self._slots.setdefault(key, threading.Semaphore(self.per_host))
        while not semaphore.acquire(timeout=POLL_SECONDS):
            if self.halted():
                raise Stopped
        try:
            yield
        finally:
            semaphore.release()


def fetch_all(
    urls: Sequence[str], rules: Rules, stop: Callable[[], bool] = never
) -> Iterator[Download]:
    """Each URL's Download in the order of `urls`; the caller closes each one's file.

    A URL is fetched once per call, so `urls` must hold each URL once (ValueError otherwise):
    the caller maps repeated URLs onto one result. Close the iterator (or exhaust it) to stop
    the downloads still running."""
    if len(set(urls)) != len(urls):
        raise ValueError("each URL must appear once; map repeats onto its one result")
    return _fetch(urls, rules, stop)


def _fetch(urls: Sequence[str], rules: Rules, stop: Callable[[], bool]) -> Iterator[Download]:
    watch = Watch(stop)
    halted = watch.halted.is_set
    budget, hosts = Budget(rules.bundle_max_bytes), HostSlots(rules.per_host, halted)
    todo, running = iter(urls), deque()
    pool = ThreadPoolExecutor(rules.concurrency, thread_name_prefix="bundle-fetch")
    try:
        while True:
            while len(running) < rules.read_ahead and (url := next(todo, None)) is not None:
                running.append(pool.submit(download, url, rules, budget, halted, hosts.slot))
            if not running:
                return
            while not wait([running[0]], timeout=POLL_SECONDS).done:
                watch.check()
            watch.check()
            yield running.popleft().result()
    finally:
        watch.halted.set()
        for future in running:
            future.add_done_callback(_close_result)
        pool.shutdown(wait=False, cancel_futures=True)


class Watch:
    """Asks `stop()` from the iterating thread only (it may read the database, which needs
    that thread's app context), at most once per POLL_SECONDS; once it says stop, `halted`
    tells the download threads, which look at it between pieces."""

    def __init__(self, stop: Callable[[], bool]):
        self.stop, self.halted, self.asked = stop, threading.Event(), 0.0

    def check(self) -> None:
        if time.monotonic() - self.asked >= POLL_SECONDS:
            self.asked = time.monotonic()
            if self.stop():
                self.halted.set()
        if self.halted.is_set():
            raise Stopped


def _close_result(future: Future) -> None:
    """A download finished after nobody wanted it any more: its file is closed."""
    if not future.cancelled() and future.exception() is None:
        future.result().close()
