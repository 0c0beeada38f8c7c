"""Heartbeats: a thread per attempt (and per chunk) that proves the work alive every second.

An export or chunk whose beat is EXPORT_STALE_SECONDS old is presumed lost and taken over,
so a beat must never wait for a slow record or a long upload: it comes from this thread, on
its own connection, whatever the job is doing. The job's own thread only counts; it learns
that it was fenced off (cancelled, taken over) at its next `count()` or `check()`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from flask import current_app

from portal.exports import attempts
from portal.exports.attempts import Attempt, AttemptLost

BEAT_SECONDS = 1.0
# Held while a beat uses the database. The render pool forks this process: a fork taken
# halfway through a beat would hand the children locks held by a thread they do not have.
_BEATING = threading.Lock()
os.register_at_fork(
    before=_BEATING.acquire, after_in_parent=_BEATING.release, after_in_child=_BEATING.release
)


class Heartbeat:
    """`with Heartbeat(write, name) as pulse:` calls `write(rendered, failed)` every second
    with what `pulse.count()` counted since the last beat; `write` raises AttemptLost once
    the work is fenced off, and the job's thread then raises it at its next count or check.
    What was counted after the last beat is written by calling `pulse.beat()` before the end."""

    def __init__(self, write: Callable[[int, int], None], name: str):
        self._write, self._name = write, name
        self._app = current_app._get_current_object()
        self._lock = threading.Lock()
        self._rendered = self._failed = 0
        self._lost: AttemptLost | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def count(self, failed: bool = False) -> None:
        with self._lock:
            self._rendered += 1
            self._failed += int(failed)
        self.check()

    def check(self) -> None:
        if self._lost is not None:
            raise self._lost

    def lost(self) -> bool:
        """Whether a beat was refused: a `stop()` for work that must not raise (fetching)."""
        return self._lost is not None

    def wait(self, seconds: float) -> None:
        """Sleep between polls, waking to raise as soon as a beat was refused."""
        self._stop.wait(seconds)
        self.check()

    def beat(self) -> None:
        """One write; what it carried is counted again if the write fails for another reason."""
        with self._lock:
            rendered, failed, self._rendered, self._failed = self._rendered, self._failed, 0, 0
        try:
            with _BEATING:
                self._write(rendered, failed)
        except AttemptLost:
            raise
        except Exception:
            with self._lock:
                self._rendered += rendered
                self._failed += failed
            raise

    def _run(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(BEAT_SECONDS):
                try:
                    self.beat()
                except AttemptLost as lost:
                    self._lost = lost
                    return
                except Exception:  # noqa: BLE001 - a database hiccup: the next beat tries again
                    current_app.logger.warning("beat of %s failed", self._name, exc_info=True)


def of_attempt(attempt: Attempt) -> Heartbeat:
    """The export's own proof of life, from its claim to its completion; it also carries
    what the job itself counts (a bundle's links) into the export's `done`."""
    return Heartbeat(lambda done, _failed: attempts.beat(attempt, done), f"export-{attempt}")
