"""Rendering what the cache lacks, on every free worker.

The worker's side of the chunk protocol (portal/exports/chunks.py, which both sides read):
the attempt splits its missing records into chunks and, when there are more than
EXPORT_FANOUT_MIN, enqueues one helper job per further chunk on the large lane. The export's
own job renders chunks too; any worker that takes a helper claims whichever chunk is next,
so chunks go to whoever is free, on any host, in any order. When nothing is left to claim,
the export's job waits for the chunks others hold, taking over any whose worker stopped
beating, then goes on to assemble the zip.

Why not RQ dependencies for the final step: a dependent job waits forever on a chunk job
that was lost with Redis or killed past its retries, and it would take the export's
completion away from the attempt that owns it. Here the owner stays the owner: its
heartbeat, fencing and recovery work as for any export, and a dead helper costs only the
chunk it held, which is claimed again after EXPORT_STALE_SECONDS.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app

from jobs.fill import fill
from jobs.heartbeat import Heartbeat
from jobs.render import RenderPool
from portal import queues
from portal.exports import attempts, chunks
from portal.exports.attempts import Attempt, AttemptLost
from portal.exports.chunks import ChunkClaim
from portal.exports.options import ExportOptions
from portal.models import Export

WAIT_SECONDS = 0.5  # how often the owner looks at chunks others hold


def render_missing(
    export: Export, attempt: Attempt, missing: Sequence[int], pool: RenderPool, pulse: Heartbeat
) -> dict[int, str]:
    """Every missing record rendered into the cache, by this job and any helpers; returns
    the records that could not be rendered, with the reason."""
    config = current_app.config
    count = chunks.plan(attempt, list(missing), config["EXPORT_CHUNK_RECORDS"])
    if len(missing) > config["EXPORT_FANOUT_MIN"]:
        queues.enqueue_chunk_helpers(export, attempt.number, count - 1)
    while True:
        pulse.check()
        claim = chunks.claim_next(attempt)
        if claim is not None:
            render_chunk(export, claim, pool)
        elif chunks.outstanding(attempt):
            pulse.wait(WAIT_SECONDS)
        else:
            return chunks.errors(attempt)


def help_export(export_id: int, attempt_number: int) -> str:
    """A helper on any worker: renders chunks of this attempt until none is left to claim."""
    attempt = Attempt(export_id, attempt_number)
    export = attempts.load(export_id)
    claim, rendered = chunks.claim_next(attempt), 0
    if claim is None:
        return "nothing left to render"
    try:
        with RenderPool.for_app(current_app) as pool:
            while claim is not None:
                render_chunk(export, claim, pool)
                rendered += 1
                claim = chunks.claim_next(attempt)
    except AttemptLost:
        return f"stopped after {rendered} chunks: the export was cancelled or superseded"
    return f"rendered {rendered} chunks"


def render_chunk(export: Export, claim: ChunkClaim, pool: RenderPool) -> None:
    look = ExportOptions.of(export).look
    with chunk_heartbeat(claim) as pulse:
        errors = fill(claim.record_ids, export.organization_id, look, pool, pulse)
        pulse.beat()  # what was counted since the last beat
    chunks.finish(claim, errors)
    # Which host rendered which chunk: the worker's log is where an operator (and the
    # rehearsal's spread) looks.
    current_app.logger.info(
        "export %s attempt %s: chunk %s rendered here (%s records)",
        claim.attempt.export_id, claim.attempt.number, claim.number, len(claim.record_ids),
    )  # fmt: skip


def chunk_heartbeat(claim: ChunkClaim) -> Heartbeat:
    """A chunk's beat, which also carries its progress into the export's `done`."""
    return Heartbeat(
        lambda rendered, failed: chunks.beat(claim, rendered, failed),
        f"chunk-{claim.attempt.export_id}-{claim.number}",
    )
