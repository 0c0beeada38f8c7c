"""Rendering records into the cache: what a chunk, a helper and a pre-render all do.

Each PDF is rendered, hashed and stored by the render process that made it, so the job
process never holds a PDF: it indexes what was stored, a few rows at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jobs import load
from jobs.render import RenderError, RenderPool
from portal.renders import cache

REMEMBER_EVERY = 20  # index rows written per commit: a killed job loses at most these


class Progress(Protocol):
    """What fill reports to: a chunk's heartbeat, or nobody (`Unwatched`)."""

    def count(self, failed: bool = False) -> None: ...
    def check(self) -> None: ...


class Unwatched:
    """For renders no one follows (pre-rendering, one PDF rendered again): counts nothing."""

    def count(self, failed: bool = False) -> None:
        pass

    def check(self) -> None:
        pass


def fill(
    record_ids: Sequence[int],
    organization_id: int,
    paper: str,
    pool: RenderPool,
    progress: Progress,
) -> dict[int, str]:
    """Renders and stores each record's PDF, counting each into `progress`, which may stop
    it (a cancel) even while a record renders; returns the records that could not be
    rendered, with the reason, for ERRORS.txt."""
    errors, stored = {}, []
    snapshots = load.snapshots(record_ids, organization_id, paper)
    for snapshot, result in pool.store_all(snapshots, progress.check):
        if isinstance(result, RenderError):
            errors[snapshot.record_id] = str(result)
        else:
            stored.append(result)
        progress.count(isinstance(result, RenderError))
        if len(stored) >= REMEMBER_EVERY:
            cache.remember(stored)
            stored = []
    cache.remember(stored)
    return errors
