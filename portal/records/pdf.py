"""One record's PDF on its own, for its page and the API: straight from the render cache when
its current version is there, else rendered on the small-export lane (which a worker-fast
takes) into the same cache, so the export that follows finds it too. The paper is the
organisation's usual look (paper, archival or not), as pre-rendering chooses it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from portal import queues
from portal.models import Record
from portal.renders import cache
from portal.renders.entries import CachedPdf, Look
from portal.storage import client as s3

PRESIGN_SECONDS = 60


@dataclass(frozen=True)
class RecordPdf:
    record: Record
    look: Look
    fingerprint: str
    cached: CachedPdf | None

    @property
    def job_id(self) -> str:
        return queues.record_pdf_job_id(self.record.public_id, self.fingerprint)

    @property
    def file_name(self) -> str:
        return f"{self.record.reference}.pdf"

    def download_url(self) -> str:
        """A presigned URL that lives a minute; only for a cached PDF."""
        disposition = f"attachment; filename*=UTF-8''{quote(self.file_name, safe='')}"
        return s3.presigned_get(self.cached.key, PRESIGN_SECONDS, disposition)

    def failure(self) -> str | None:
        return None if self.cached else queues.record_pdf_failure(self.job_id)


def locate(record: Record) -> RecordPdf:
    """Where the record's PDF stands. The planner's fingerprint is imported here, not at the
    top: it brings WeasyPrint's version in, which only this feature of the web needs."""
    from jobs.plan import fingerprints
    from jobs.prerender import usual_looks

    look = usual_looks(record.organization_id)[0]
    fingerprint = fingerprints(record.organization_id, [record.id], look)[record.id]
    found = cache.lookup(record.organization_id, [fingerprint]).get(fingerprint)
    return RecordPdf(record, look, fingerprint, found)


def request(record: Record) -> RecordPdf:
    """The record's PDF, queued for rendering unless it is cached (or already queued)."""
    located = locate(record)
    if located.cached is None:
        queues.enqueue_record_pdf(record.id, located.look, located.job_id)
    return located
