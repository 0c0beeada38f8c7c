"""Scheduled runs under time-machine: two schedulers at once and a restart make one export per
due time; paused makes none; "only changed" takes the records whose version moved; a filter
that matches nothing sends a notice; a run's PDFs are as the organisation's handover settings
say. Real Redis (the exports are enqueued) and, once, a real worker that completes a run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export, ExportShare, ExportStatus, Schedule
from portal.schedules import runs, service
from portal.schedules.service import ScheduleIn
from tests import factories
from tests.helpers import reload
from tests.polling import wait_until

FRIDAY_FIVE = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0"
MONDAY = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
# 17:00 in London on the Fridays after MONDAY: BST (UTC+1) until 25 October, then GMT.
FRIDAYS = [
    datetime(2026, 10, 16, 16, 0),
    datetime(2026, 10, 23, 16, 0),
    datetime(2026, 10, 30, 17, 0),
]


@pytest.fixture
def app_overrides() -> dict:
    return {"MAIL_SUPPRESS_SEND": False, "EXPORT_MAX_ACTIVE_PER_USER": 100}


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def weekly(world, clock):
    """A weekly schedule of org A's member over 3 records of the project."""
    factories.records(world.project_a, 3)
    db.session.commit()
    asked = ScheduleIn.checked("Weekly handover", {}, FRIDAY_FIVE, "Europe/London", False)
    return service.add(world.member_a, world.project_a, asked)


def exports() -> list[Export]:
    db.session.expire_all()
    return list(db.session.scalars(select(Export).order_by(Export.id)))


def two_schedulers_at_once(app) -> None:
    """Two schedulers, each with its own session and connection, released together."""
    start, failures = threading.Barrier(2), []

    def scheduler():
        with app.app_context():
            start.wait()
            try:
                runs.run_due()
            except Exception as exc:  # noqa: BLE001 (reported to the test below)
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []


def test_two_schedulers_and_a_restart_make_one_export_per_due_time(app, weekly, clock):
    assert reload_schedule(weekly).next_run_at == FRIDAYS[0]
    clock.move_to(FRIDAYS[0].replace(tzinfo=UTC) - timedelta(seconds=1))
    two_schedulers_at_once(app)
    assert exports() == []
    for friday in FRIDAYS[:2]:
        clock.move_to(friday.replace(tzinfo=UTC) + timedelta(seconds=5))
        two_schedulers_at_once(app)
        two_schedulers_at_once(app)
    assert [e.options["name"] for e in exports()] == [
        "Weekly handover — 2026-10-16",
        "Weekly handover — 2026-10-23",
    ]
    # No scheduler for three weeks: the one that starts then runs the schedule once.
    clock.move_to(datetime(2026, 11, 14, 12, 0, tzinfo=UTC))
    runs.run_due()
    runs.run_due()
    assert len(exports()) == 3
    assert reload_schedule(weekly).next_run_at == datetime(2026, 11, 20, 17, 0)


def reload_schedule(schedule: Schedule) -> Schedule:
    db.session.expire_all()
    return db.session.get(Schedule, schedule.id)


def test_a_paused_schedule_makes_nothing_and_resumes_from_now(weekly, clock):
    service.pause(weekly)
    clock.move_to(datetime(2026, 10, 24, 9, 0, tzinfo=UTC))
    assert runs.run_due() == [] and exports() == []
    service.resume(weekly)
    assert reload_schedule(weekly).next_run_at == FRIDAYS[2]


def test_only_changed_exports_the_records_whose_version_moved(world, weekly, clock):
    service.edit(weekly, ScheduleIn.checked("Changes", {}, FRIDAY_FIVE, "Europe/London", True))
    clock.move_to(FRIDAYS[0].replace(tzinfo=UTC) + timedelta(minutes=1))
    [first] = runs.run_due()
    assert first.total == 3
    changed = db.session.scalars(select(factories.Record).order_by(factories.Record.id)).first()
    clock.move_to(datetime(2026, 10, 20, 10, 0, tzinfo=UTC))
    changed.title = "Slab pour, re-inspected"
    db.session.commit()
    clock.move_to(FRIDAYS[1].replace(tzinfo=UTC) + timedelta(minutes=1))
    [second] = runs.run_due()
    assert [item.record_id for item in reload(second.id).items] == [changed.id]


@pytest.mark.parametrize("archival", [True, False])
def test_a_run_is_signed_and_archival_as_the_organisations_settings_say(
    app, world, weekly, clock, archival
):
    """As an export form left at its defaults: an organisation that signs gets signed runs,
    with record PDFs archival or plain as it says, whatever the deployment's PDF_ARCHIVAL."""
    app.config["PDF_ARCHIVAL"] = not archival
    world.org_a.sign_exports, world.org_a.pdf_archival = True, archival
    db.session.commit()
    clock.move_to(FRIDAYS[0].replace(tzinfo=UTC) + timedelta(minutes=1))
    [export] = runs.run_due()
    options = ExportOptions.of(reload(export.id))
    assert (options.signed, options.archival) == (True, archival)


def test_a_filter_that_matches_nothing_sends_a_notice_not_an_empty_zip(
    world, weekly, clock, mail_sink
):
    asked = ScheduleIn.checked(
        "NCRs", {"kind": "ncr", "q": "none such"}, FRIDAY_FIVE, "Europe/London", False
    )
    service.edit(weekly, asked)
    clock.move_to(FRIDAYS[0].replace(tzinfo=UTC) + timedelta(minutes=1))
    assert runs.run_due() == [None]
    assert exports() == []
    [notice] = [m for m in mail_sink.messages if m["X-Envelope-To"] == "member@acme.test"]
    assert "nothing to export" in notice["Subject"]


def test_a_real_worker_completes_a_scheduled_run_and_its_recipients_get_links(
    bucket, world, weekly, clock, worker, mail_sink
):
    asked = ScheduleIn.checked(
        "Weekly handover", {}, FRIDAY_FIVE, "Europe/London", False, "rep@client.test"
    )
    service.edit(weekly, asked)
    clock.move_to(FRIDAYS[0].replace(tzinfo=UTC) + timedelta(minutes=1))
    with worker():
        [made] = runs.run_due()
        assert runs.deliver_ready() == 0  # not ready yet
        done = wait_until(
            lambda: reload(made.id).status == ExportStatus.COMPLETED and reload(made.id),
            timeout=120,
        )
    assert done.total == 3
    assert db.session.scalar(select(func.count()).select_from(Export)) == 1
    assert runs.deliver_ready() == 1 and runs.deliver_ready() == 0
    shared = [m for m in mail_sink.messages if m["X-Envelope-To"] == "rep@client.test"]
    assert len(shared) == 1 and "/s/" in shared[0].as_string()
    assert db.session.scalar(select(ExportShare.export_id)) == made.id
