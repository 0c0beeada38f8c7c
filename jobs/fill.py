"""Rendering records into the cache: what a chunk, a helper and a pre-render all do.

Each PDF is rendered, hashed and stored by the render process that made it, so the job
process never holds a PDF: it indexes what was stored, a few rows at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jobs import load
from jobs.render import RenderError, RenderPool
from jobs.snapshot import RecordSnapshot
from portal.renders import cache, issued
from portal.renders.entries import CachedPdf, Look

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
    look: Look,
    pool: RenderPool,
    progress: Progress,
) -> dict[int, str]:
    """Renders and stores each record's PDF, counting each into `progress`, which may stop
    it (a cancel) even while a record renders; returns the records that could not be
    rendered, with the reason, for ERRORS.txt. Each PDF made is indexed in the render cache
    and remembered for the Verify page."""
    errors, stored = {}, []
    snapshots = load.snapshots(record_ids, organization_id, look)
    for snapshot, result in pool.store_all(snapshots, progress.check):
        if isinstance(result, RenderError):
            errors[snapshot.record_id] = str(result)
        else:
            stored.append((snapshot, result))
        progress.count(isinstance(result, RenderError))
        if len(stored) >= REMEMBER_EVERY:
            _remember(stored)
            stored = []
    _remember(stored)
    return errors


def _remember(stored: list[tuple[RecordSnapshot, CachedPdf]]) -> None:
    cache.remember([entry for _, entry in stored])
    issued.remember([
        issued.Made(entry.sha256, s.organization_id, s.record_id, s.reference, s.version)
        for s, entry in stored
    ])  # fmt: skip
