"""A record deleted between the request and the zip is listed, never silently left out: in
MANIFEST.csv and ERRORS.txt as "deleted since the request", and in the export's warnings."""

from __future__ import annotations

import csv
import io
import zipfile

from flask import current_app
from sqlalchemy import delete

from jobs import assemble, fanout, heartbeat, plan
from jobs.render import RenderPool
from portal.exports import attempts
from portal.extensions import db
from portal.models import Attachment, ChecklistItem, ExportItem, ExportStatus, Record
from portal.storage import client as s3
from tests import factories


def delete_record(record_id: int) -> None:
    """As a database operator must, with the export items the foreign key protects it by."""
    for table in (ExportItem, ChecklistItem, Attachment):
        db.session.execute(delete(table).where(table.record_id == record_id))
    db.session.execute(delete(Record).where(Record.id == record_id))
    db.session.commit()


def test_records_deleted_before_and_during_the_export_are_listed_and_counted(world, bucket):
    records = factories.records(world.project_a, 4)
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, records)
    db.session.commit()
    before_start, while_rendering = records[0].id, records[1]
    reference = while_rendering.reference
    delete_record(before_start)
    attempt = attempts.claim(export.id)
    export = attempts.load(export.id)
    with heartbeat.of_attempt(attempt) as pulse, RenderPool.for_app(current_app) as pool:
        work = plan.plan(export, attempt)
        delete_record(while_rendering.id)
        errors = fanout.render_missing(export, attempt, work.missing, pool, pulse)
        zipped = assemble.assemble(export, attempt, work, errors, pool, pulse)

    assert (zipped.records, zipped.warnings) == (2, 2)
    with zipfile.ZipFile(io.BytesIO(s3.get_bytes(zipped.parts[0].object_key))) as zf:
        errors_txt = zf.read("ERRORS.txt").decode()
        rows = list(csv.DictReader(io.StringIO(zf.read("MANIFEST.csv").decode("utf-8-sig"))))
    assert errors_txt.splitlines() == [
        "(none) — records no longer known: 1 deleted since the request, before the export started",
        f"{reference} — (none): deleted since the request",
    ]
    failed = [(row["reference"], row["title"]) for row in rows if row["status"] == "error"]
    assert failed == [("", "records no longer known"), (reference, "")]
