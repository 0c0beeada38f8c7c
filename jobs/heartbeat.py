"""The attempt's heartbeat: a thread that writes progress and proof of life every second.

An export whose heartbeat is EXPORT_STALE_SECONDS old is presumed lost and run again, so a
beat must never wait for a slow record, the zip's digest or a long upload: it comes from
this thread, on its own connection, whatever the job is doing. The job's own thread only
counts; it learns that the attempt was fenced off (cancelled, or taken over) at its next
`advance()` or `check()`.
"""

from __future__ import annotations

import os
import threading

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
    """`with Heartbeat(attempt) as pulse:` beats until the block ends; `pulse.advance()`
    counts a record and raises AttemptLost once a beat was refused."""

    def __init__(self, attempt: Attempt):
        self.attempt, self.done, self.warnings = attempt, 0, 0
        self._app = current_app._get_current_object()
        self._lost: AttemptLost | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="export-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def advance(self, failed: bool) -> None:
        self.done += 1
        self.warnings += int(failed)
        self.check()

    def check(self) -> None:
        if self._lost is not None:
            raise self._lost

    def beat(self) -> None:
        """One write of progress and heartbeat; raises AttemptLost when it is refused."""
        with _BEATING:
            attempts.beat(self.attempt, self.done, self.warnings)

    def _run(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(BEAT_SECONDS):
                try:
                    self.beat()
                except AttemptLost as lost:
                    self._lost = lost
                    return
                except Exception:  # noqa: BLE001 - a database hiccup: the next beat tries again
                    current_app.logger.warning("beat of %s failed", self.attempt, exc_info=True)
