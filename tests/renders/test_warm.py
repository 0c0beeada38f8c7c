"""`flask renders warm`: a project's records rendered ahead of any export, on the lowest lane."""

from __future__ import annotations

from portal import queues
from portal.extensions import db
from portal.models import ExportStatus, RenderedPdf
from tests import factories
from tests.helpers import reload
from tests.polling import wait_until


def warm(app, *args):
    return app.test_cli_runner().invoke(args=["renders", "warm", *args])


def cached_records() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(db.select(RenderedPdf.record_id)))


def test_warm_renders_a_projects_records_and_an_export_then_finds_every_pdf_made(
    app, world, project_records, worker
):
    records = project_records(6, photo_every=3)
    elsewhere = factories.record(world.project_b)
    db.session.commit()

    result = warm(app, "--project", "HVT")

    assert result.exit_code == 0, result.output
    assert "queued 6 records in 1 jobs on the renders lane" in result.output
    with worker():
        wait_until(lambda: cached_records() == {r.id for r in records}, timeout=90)
        export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a, records)
        queues.enqueue_export(export)
        export = wait_until(lambda: (e := reload(export.id)).status == "completed" and e, 90)
    assert export.cache_hits == 6
    assert elsewhere.id not in cached_records()


def test_warm_names_a_project_it_cannot_find_or_tell_apart(app, world):
    factories.project(world.org_b, name="Another tower", code="HVT")
    db.session.commit()

    unknown = warm(app, "--project", "NOPE")
    ambiguous = warm(app, "--project", "HVT")

    assert unknown.exit_code == 1 and "no project with code or id 'NOPE'" in unknown.output
    assert ambiguous.exit_code == 1 and "2 projects have code 'HVT'" in ambiguous.output
    by_id = warm(app, "--project", world.project_a.public_id)
    assert by_id.exit_code == 0 and "queued 0 records" in by_id.output


def test_a_project_id_that_starts_with_a_dash_is_read_as_the_id(app, world):
    """Ids are url-safe base64, so one in 32 begins with '-' (the example client's argparse
    read such an id as an option; click takes the next word as the value, either way)."""
    world.project_a.public_id = "-xyzProjectId00000000"
    db.session.commit()
    assert "--project=-xyz" in warm(app, "--help").output

    for args in (["--project", "-xyzProjectId00000000"], ["--project=-xyzProjectId00000000"]):
        result = warm(app, *args)
        assert result.exit_code == 0, result.output
        assert "queued 0 records" in result.output
