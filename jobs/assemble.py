"""Step 3: the zip, assembled from the render cache and a bundle's links, streamed into S3.

By now every record's PDF is in the cache. Each is read back, checked against the digest
the cache recorded (an object that fails is rendered again), and written into the zip
stream, which goes to S3 in 16 MiB parts as it fills: no zip ever touches the worker's
disk. A zip that would pass EXPORT_PART_BYTES is closed and the next part begun
(jobs/parts.py). A few PDFs are read ahead on threads, so the upload sets the pace. The
links' files follow the records' PDFs (jobs/links.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select

from jobs import fill, links, plan, prefetch
from jobs.archive import entry_name, photo_entry_name, safe_component, slug
from jobs.combined import CombinedPdf, volume_name
from jobs.contents import Contents, head_of, line_of, page_count
from jobs.heartbeat import Heartbeat
from jobs.index_pdf import INDEX_NAME, IndexLine
from jobs.manifest import Facts
from jobs.parts import NO_FACTS, PartedArchive
from jobs.plan import Work
from jobs.render import RenderPool
from portal.exports import wording
from portal.exports.attempts import Attempt, ItemOutcome, StoredPart
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Attachment, Export, Project, Record, utcnow
from portal.renders import cache
from portal.renders.entries import CachedPdf
from portal.storage import client as s3
from portal.storage import keys
from portal.storage.multipart import MultipartWriter

PDF_TYPE = "application/pdf"
READERS = 6  # threads reading cached PDFs ahead of the zip
READ_AHEAD = 16  # at most this many PDFs ahead of it
READ_AHEAD_BYTES = 48 * 1024 * 1024  # and at most this many bytes
BATCH = 200  # records whose names and cache entries are read per query
DELETED = "deleted since the request"


@dataclass(frozen=True)
class Label:
    """What a record's zip entry and manifest row are named from."""

    record_id: int
    project: str
    kind: str
    reference: str
    title: str
    facts: Facts = NO_FACTS


@dataclass(frozen=True)
class Assembled:
    parts: list[StoredPart]
    records: int  # entries delivered: records' PDFs and links' files
    warnings: int  # records and links that are in ERRORS.txt instead
    # Why each link that gave no file did not, by its position.
    link_errors: dict[int, str] = field(default_factory=dict)
    # What became of each record still known: its PDF's version and cache entry, or why not.
    items: list[ItemOutcome] = field(default_factory=list)

    @property
    def nothing_fetched(self) -> bool:
        """A bundle none of whose links gave a file: its zip would hold only manifests."""
        return not self.records and self.warnings == len(self.link_errors) > 0


def assemble(
    export: Export, attempt: Attempt, work: Work, errors: dict[int, str], pool: RenderPool,
    pulse: Heartbeat,
) -> Assembled:  # fmt: skip
    """Every record's PDF (or its error) into one or more zips in S3, in the export's order.
    On any failure the parts already stored are deleted and the open one aborted. The moment
    assembly starts is the export's time: in the zip's name and in every manifest row."""
    started = utcnow()
    base = download_name(export, started.date())
    stored: list[str] = []

    def open_part(number: int) -> MultipartWriter:
        name = part_name(base, number)
        stored.append(zip_key(export, attempt, name))
        return MultipartWriter(stored[-1], "application/zip", content_disposition(name))

    items: list[ItemOutcome] = []
    try:
        config = current_app.config
        archive = PartedArchive(
            open_part, config["EXPORT_PART_BYTES"], config["EXPORT_WORK_DIR"], exported_at=started
        )
        contents = Contents()
        with archive:
            _fill_archive(archive, export, work, errors, pool, pulse, contents, started, items)
            link_errors = links.add_links(archive, export, pulse)
            _close_with_index(archive, export, started, contents)
    except BaseException:
        s3.delete_many(stored)
        raise
    parts = [StoredPart(p.number, stored[p.number - 1], p.size, p.sha256, p.records)
             for p in archive.parts]  # fmt: skip
    return Assembled(parts, archive.ok, archive.failed, link_errors, items)


def _close_with_index(archive: PartedArchive, export: Export, started, contents) -> None:
    """A records export's last part leads with 00-INDEX.pdf, drawn once every PDF is in;
    its temp file is gone once it is."""
    if export.is_bundle:
        return
    index = contents.write(export, started, current_app.config["EXPORT_WORK_DIR"])
    try:
        archive.close(leading=[(INDEX_NAME, index)])
    finally:
        index.unlink(missing_ok=True)


def _fill_archive(archive, export, work, errors, pool, pulse, contents, started, items) -> None:
    options = ExportOptions.of(export)
    combined = _combined(archive, export, options, started)
    if work.gone:
        reason = f"{work.gone} {DELETED}, before the export started"
        archive.add_failure("", "records no longer known", reason, count=work.gone)
    try:
        for label, pdf in _pdfs(export, work, errors, pool):
            if isinstance(pdf, str):
                archive.add_failure(label.reference, label.title, pdf)
                contents.add_failure(label)
                items.append(ItemOutcome(label.record_id, label.facts.version, error=pdf))
            else:
                contents.add(_add_record(archive, label, pdf, options, combined))
                items.append(ItemOutcome(label.record_id, label.facts.version, pdf[1].fingerprint))
            pulse.check()
        if combined:
            combined.close()
    finally:
        if combined:
            combined.discard()


def _add_record(archive: PartedArchive, label: Label, pdf: Pdf, options, combined) -> IndexLine:
    """The record's PDF into the zip, the combined PDF or both (its photos too, if asked);
    answers its index line."""
    data, sha256 = pdf[0], pdf[1].sha256
    pages, file, part = page_count(data), "", None
    if options.per_record_files:
        name = entry_name(label.project, label.kind, label.reference, label.title)
        entry = archive.add_bytes(
            name, data, reference=label.reference, title=label.title, sha256=sha256,
            content_type=PDF_TYPE, facts=label.facts,
        )  # fmt: skip
        file, part = entry.name, archive.part_number
    if combined:

        def row(volume: str) -> bytes:
            return archive.row_of(label.reference, label.title, volume, len(data), sha256,
                                  label.facts)  # fmt: skip

        volume = combined.add(line_of(label, file, pages, part), data, row)
        if not file:
            file = volume_name(combined.head.title, volume)
            archive.add_row(label.reference, label.title, file, len(data), label.facts)
    if options.include_originals:
        _add_originals(archive, label)
    return line_of(label, file, pages, part)


def _combined(archive: PartedArchive, export: Export, options, started) -> CombinedPdf | None:
    """The combined PDF, when asked for: its volumes go into the zip as they are finished."""
    if not options.combined:
        return None

    def emit(name: str, path: Path) -> None:
        with path.open("rb") as volume:
            archive.add_stream(name, volume, path.stat().st_size)

    config = current_app.config
    return CombinedPdf(
        head_of(export, started), config["EXPORT_COMBINED_VOLUME_BYTES"],
        config["EXPORT_WORK_DIR"], emit,
    )  # fmt: skip


Pdf = tuple[memoryview, CachedPdf]  # a PDF's bytes, checked against its cache entry


def _pdfs(
    export: Export, work: Work, errors: dict[int, str], pool: RenderPool
) -> Iterator[tuple[Label, Pdf | str]]:
    """(label, the PDF or why the record has none), in the export's order, read ahead by
    jobs/prefetch.py: the job holds a few PDFs, however large the export."""
    reader = s3.reader()

    def read(planned: Planned) -> memoryview | None:
        return cache.fetch(planned[1], reader)

    def wanted(planned: Planned) -> int | None:
        return planned[1].byte_size if planned[1] and planned[2] is None else None

    ahead = prefetch.in_order(
        _planned(export, work, errors), read, wanted,
        threads=READERS, most=READ_AHEAD, budget=READ_AHEAD_BYTES,
    )  # fmt: skip
    for (label, entry, error), fetched in ahead:
        data = fetched.result() if fetched else None
        if error is not None:
            yield label, error
        elif data is not None:
            yield label, (data, entry)
        else:
            yield label, _render_again(export, label.record_id, pool)


Planned = tuple[Label, CachedPdf | None, str | None]  # and the record's error, if any


def _planned(export: Export, work: Work, errors: dict[int, str]) -> Iterator[Planned]:
    """(label, cache entry or None, error or None) per record, a batch of queries at a time;
    a record deleted since the plan keeps the reference it had then. An export "as they
    were" labels each record with the version its PDF shows."""
    for start in range(0, len(work.record_ids), BATCH):
        batch = work.record_ids[start : start + BATCH]
        labels = _labels(batch)
        entries = _entries(export, work, batch, errors)
        for rid in batch:
            if rid in labels:
                label = labels[rid]
                if rid in work.versions:
                    label = replace(label, facts=replace(label.facts, version=work.versions[rid]))
                yield label, entries.get(rid), errors.get(rid)
            else:
                yield Label(rid, "", "", work.references[rid], ""), None, DELETED


def _entries(
    export: Export, work: Work, batch: Sequence[int], errors: dict[int, str]
) -> dict[int, CachedPdf]:
    """The batch's cache entries: as planned, plus those rendered since. The latter are
    fingerprinted afresh rather than taken from the plan: a record edited meanwhile was
    rendered at its new version, and that is the PDF the zip must hold."""
    found = {rid: work.cached[rid] for rid in batch if rid in work.cached}
    rendered = [rid for rid in batch if rid not in found and rid not in errors]
    if rendered:
        look = ExportOptions.of(export).look
        prints = plan.fingerprints(export.organization_id, rendered, look)
        by_print = cache.lookup(export.organization_id, prints.values())
        found.update({rid: by_print[p] for rid, p in prints.items() if p in by_print})
    return found


def _render_again(export: Export, record_id: int, pool: RenderPool) -> Pdf | str:
    """A cached PDF that is gone or fails its digest is rendered again, here and now; one
    "as it was" cannot be (the record has moved on): that record has no PDF."""
    if ExportOptions.of(export).as_they_were:
        return plan.NOT_KEPT
    look = ExportOptions.of(export).look
    failed = fill.fill([record_id], export.organization_id, look, pool, fill.Unwatched())
    if failed:
        return failed[record_id]
    prints = plan.fingerprints(export.organization_id, [record_id], look)
    if record_id not in prints:
        return DELETED
    entry = cache.lookup(export.organization_id, prints.values())[prints[record_id]]
    data = cache.fetch(entry)
    return (data, entry) if data is not None else "its PDF could not be read back"


def _labels(record_ids: Sequence[int]) -> dict[int, Label]:
    rows = db.session.execute(
        select(
            Record.id, Project.name, Record.kind, Record.reference, Record.title, Record.status,
            Record.assignee, Record.due_date, Record.version, Record.updated_at,
        )
        .join(Project, Project.id == Record.project_id)
        .where(Record.id.in_(record_ids))
    )  # fmt: skip
    return {row.id: Label(*row[:5], Facts(row.kind, *row[5:], project=row.name)) for row in rows}


def _add_originals(archive: PartedArchive, label: Label) -> None:
    """The photos as uploaded, each streamed from S3 into the zip: never one in memory whole."""
    photos = db.session.execute(
        select(Attachment.storage_key, Attachment.filename)
        .where(Attachment.record_id == label.record_id)
        .order_by(Attachment.id)
    )
    for key, filename in photos:
        body = s3.boto().get_object(Bucket=s3.bucket(), Key=key)
        name = photo_entry_name(label.project, label.reference, filename)
        archive.add_stream(name, body["Body"], body["ContentLength"])


def zip_key(export: Export, attempt: Attempt, filename: str) -> str:
    """A bundle's zips go under the prefix its lifetime and namespace name."""
    if export.is_bundle:
        options = ExportOptions.of(export)
        return keys.bundle_zip(
            options.ttl_hours, export.organization_id, options.namespace, export.public_id,
            attempt.number, filename,
        )  # fmt: skip
    return keys.export_zip(export.organization_id, export.public_id, attempt.number, filename)


def download_name(export: Export, today: date) -> str:
    """A records export's zip is named as the export is (its title); a bundle's says its
    name, day and size, as it always has."""
    if export.is_bundle:
        name = slug(ExportOptions.of(export).name)
        return f"Sitepack-bundle-{name}-{today.isoformat()}-{export.files}-files.zip"
    return f"{safe_component(wording.title(export))}.zip"


def part_name(base: str, number: int) -> str:
    """Part 1 keeps the export's name (most exports have one part); later ones say which."""
    return base if number == 1 else base.removesuffix(".zip") + f"-part{number}.zip"


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact UTF-8 name."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
