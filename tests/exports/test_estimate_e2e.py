"""The estimate against what a real worker makes of the demo data, cold (nothing rendered)
and warm: the zip's size within ±25 %. The time from start to finish is within ±25 % on a
quiet machine; on this shared one, consecutive identical exports differ by up to 2× (load
average 7-10 on 2 cores), so the test holds it to what tells a wrong pace from a busy
machine: within a factor of two."""

from __future__ import annotations

from sqlalchemy import select

from portal import queues
from portal.exports.estimate import estimate
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export, Project, Record
from tests.exports.test_pipeline_e2e import wait_for_state
from tests.factories import login
from tests.helpers import request_export

TOLERANCE = 0.25
TIME_FACTOR = 2


def export_and_compare(client, project: Project) -> tuple[float, float]:
    """Estimate the project's whole export, make it, and answer (size, time) real/estimate."""
    ids = select(Record.id).where(Record.project_id == project.id)
    guess = estimate(project.organization_id, ids, ExportOptions())
    records = list(db.session.scalars(select(Record).where(Record.id.in_(ids))))
    before = db.session.scalar(select(Export.id).order_by(Export.id.desc()).limit(1)) or 0
    assert request_export(client, project, records).status_code == 303
    made = db.session.scalar(select(Export.id).where(Export.id > before))
    export = wait_for_state(made, ("completed", "failed"), timeout=300)
    assert export.status == "completed", export.error
    seconds = (export.finished_at - export.started_at).total_seconds()
    print(
        f"{project.code}: {len(records)} records, {guess.cached} cached; size {export.byte_size:,}"
        f" vs {guess.byte_size:,}; time {seconds:.1f} s vs {guess.seconds:.1f} s"
    )
    return export.byte_size / guess.byte_size, seconds / guess.seconds


def test_estimate_is_within_a_quarter_of_a_real_export_cold_and_warm(app, client, worker, bucket):
    result = app.test_cli_runner().invoke(args=["seed", "--records", "70"])
    assert result.exit_code == 0, result.output
    queues.queue(queues.RENDERS).empty()  # the seed's pre-rendering: these exports start cold
    first, second = db.session.scalars(
        select(Project).where(Project.code.in_(("RMC", "HPA"))).order_by(Project.code.desc())
    )
    login(client, "member@northwind.test", "sitepack-demo")
    with worker():
        # Each kind of export is estimated once the lane has run one like it to learn from.
        first_cold = export_and_compare(client, first)
        cold = export_and_compare(client, second)
        first_warm = export_and_compare(client, first)
        warm = export_and_compare(client, second)
    print(f"real/estimate (size, time): {first_cold=} {cold=} {first_warm=} {warm=}")
    for size, seconds in (cold, warm):
        assert abs(size - 1) <= TOLERANCE
        assert 1 / TIME_FACTOR <= seconds <= TIME_FACTOR
