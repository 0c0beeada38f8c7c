"""The harness's own view of the rehearsal: its data, its exports, and what each must end as.

The harness runs on the bridge's gateway address and reads PostgreSQL, Redis and S3 directly
(as an operator would), through an app built from the same settings as every host's.
"""

from __future__ import annotations

import email
import email.policy
import time
from dataclasses import dataclass
from pathlib import Path

from rq import Worker
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bench import engine_lab, export_seed
from bench.rehearsal import netns
from bench.rehearsal.hosts import WORKERS, Fleet
from portal import config as settings
from portal import create_app, queues
from portal.exports.options import ExportOptions, fingerprint_of
from portal.exports.service import create_export
from portal.extensions import db
from portal.models import Download, Export, ExportEvent, ExportStatus
from portal.storage import client as s3
from portal.storage import keys
from tests import factories

SMALL = 20  # the fast lane's export, requested beside each big one
FINISH_SECONDS = 900


@dataclass
class Pair:
    """The two exports a scenario requests: a big fanned-out one and a small one."""

    big: int
    small: int
    requested: float  # time.monotonic()
    finished: float | None = None

    @property
    def ids(self) -> tuple[int, int]:
        return self.big, self.small


class Lab:
    def __init__(self, fleet: Fleet, records: int):
        self.fleet, self.records = fleet, records
        self.app = create_app({**settings.from_environment(fleet.env), "TESTING": True})
        self.context = self.app.app_context()
        self.context.push()
        self.done_seen: dict[int, int] = {}
        self.kept: set[str] = set()  # zip keys of completed exports, which must stay

    def seed(self) -> None:
        world = factories.two_organisations()
        ids = export_seed.records(world.project_a, self.records + SMALL)
        db.session.commit()
        self.world, self.big_ids, self.small_ids = world, ids[: self.records], ids[self.records :]

    def request(self) -> Pair:
        engine_lab.clear_cache()
        big = self._export(self.world.member_a, self.big_ids)
        small = self._export(self.world.admin_a, self.small_ids)
        return Pair(big, small, time.monotonic())

    def _export(self, user, record_ids: list[int]) -> int:
        options = ExportOptions()
        fingerprint = fingerprint_of(user.id, record_ids, options)
        export = create_export(user, self.world.project_a, record_ids, options, fingerprint)
        db.session.commit()
        queues.enqueue_export(export)
        return export.id

    def row(self, export_id: int) -> Export:
        export = db.session.get(Export, export_id)
        db.session.refresh(export)
        db.session.commit()
        return export

    def progress(self, export_id: int) -> tuple[str, int]:
        export = self.row(export_id)
        self.done_seen[export_id] = max(self.done_seen.get(export_id, 0), export.done)
        return export.status, export.done

    def wait_for(self, test, what: str, timeout: float = FINISH_SECONDS, every: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if found := test():
                    return found
            except OperationalError:  # PostgreSQL restarting: the harness reconnects too
                db.session.rollback()
            time.sleep(every)
        raise Stuck(f"{what}: not within {timeout:.0f} s")

    def wait_finished(self, pair: Pair) -> None:
        def finished() -> bool:
            rows = [self.progress(export_id) for export_id in pair.ids]
            return all(status not in (ExportStatus.PENDING, ExportStatus.PROCESSING)
                       for status, _ in rows)  # fmt: skip

        self.wait_for(finished, "both exports finished", every=0.5)
        pair.finished = time.monotonic()
        self.wait_for(lambda: all(self.row(i).ready_mail_sent_at for i in pair.ids),
                      "both ready emails sent", timeout=120)  # fmt: skip

    def hosts_working_on(self, export_id: int) -> dict[str, str]:
        """{worker host: the job of this export its worker runs now}."""
        prefix = queues.job_id(self.row(export_id))
        by_pid = {pid: host.name for host in WORKERS for pid in netns.pids(host)}
        found = {}
        for worker in Worker.all(connection=queues.connection()):
            job = worker.get_current_job_id()
            if job and job.startswith(prefix) and worker.pid in by_pid:
                found[by_pid[worker.pid]] = job
        return found

    def attempts(self, export_id: int) -> int:
        return self.row(export_id).attempt


class Stuck(Exception):
    """The rehearsal waited past its deadline: the scenario failed."""


def completed_by(export_id: int) -> str:
    """The `completed` event's detail: which attempt completed it."""
    detail = db.session.scalar(
        select(ExportEvent.detail)
        .where(ExportEvent.export_id == export_id, ExportEvent.kind == ExportStatus.COMPLETED)
        .order_by(ExportEvent.id.desc())
        .limit(1)
    )
    db.session.commit()
    return detail or ""


def download_addresses(export_id: int) -> list[str]:
    found = list(
        db.session.scalars(select(Download.ip_address).where(Download.export_id == export_id))
    )
    db.session.commit()
    return found


def ready_emails(folder: Path, public_id: str) -> int:
    """Messages the sink filed whose text names the export."""
    count = 0
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = " ".join(part.get_content() for part in message.walk()
                        if part.get_content_maintype() == "text")  # fmt: skip
        count += public_id in text
    return count


def multipart_uploads() -> list[str]:
    answer = s3.boto().list_multipart_uploads(Bucket=s3.bucket())
    return [upload["Key"] for upload in answer.get("Uploads", [])]


def zips() -> set[str]:
    return set(s3.list_keys(keys.EXPORTS))


def leftover_files(fleet: Fleet, hosts) -> list[str]:
    """Files in the hosts' EXPORT_WORK_DIR, where an export keeps its temp files."""
    found = []
    for host in hosts:
        root = fleet.home / host.name / "work"
        found += [str(p.relative_to(fleet.home)) for p in root.rglob("*") if p.is_file()]
    return found
