"""Step 2: render every record to PDF and stream each one into a zip on disk as it is made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from jobs import load
from jobs.archive import Manifest, UniqueNames, ZipArchive, entry_name, photo_entry_name
from jobs.heartbeat import Heartbeat
from jobs.render import RenderPool
from jobs.snapshot import RecordSnapshot
from jobs.upload import digest
from portal.models import Export
from portal.storage import client as s3


@dataclass(frozen=True)
class BuiltArchive:
    path: Path
    size: int
    sha256: str
    count: int
    warnings: int


def build_archive(export: Export, workdir: Path, pulse: Heartbeat) -> BuiltArchive:
    path = workdir / "export.zip"
    names = UniqueNames()
    paper, originals = export.options.get("paper", "A4"), export.options.get("include_originals")
    snapshots = load.snapshots(load.record_ids(export.id), export.organization_id, paper)
    with (
        path.open("wb") as target,
        ZipArchive(target) as archive,
        Manifest(workdir) as manifest,
        RenderPool.for_app(current_app) as pool,
    ):
        for snap, result in pool.render_all(snapshots):
            failed = add_record(archive, manifest, names, snap, result)
            if originals and not failed:
                add_originals(archive, names, snap, workdir)
            pulse.advance(failed)
        pulse.beat()
        manifest.write_to(archive)
    return BuiltArchive(path, path.stat().st_size, digest(path), pulse.done, pulse.warnings)


def add_record(archive, manifest, names, snap: RecordSnapshot, result) -> bool:
    """Add one PDF, or list the record as failed; True when it failed."""
    name = names.unique(entry_name(snap.project.name, snap.kind, snap.reference, snap.title))
    error = snap.load_error or (str(result) if isinstance(result, Exception) else None)
    if error:
        manifest.add_failure(snap.reference, snap.title, error)
        return True
    entry = archive.add_bytes(name, result)
    manifest.add_ok(snap.reference, snap.title, entry)
    return False


def add_originals(archive, names, snap: RecordSnapshot, workdir: Path) -> None:
    """Original photos, one at a time through a temp file: never a whole photo set in memory."""
    scratch = workdir / "original.tmp"
    for original in snap.originals:
        s3.download_file(original.key, scratch)
        entry = names.unique(photo_entry_name(snap.reference, original.filename))
        archive.add_file(entry, scratch)
        scratch.unlink()
