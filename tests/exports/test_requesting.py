"""POST /exports: what is accepted, what is refused, and that refusals change nothing."""

from __future__ import annotations

import redis
from rq import Queue

from portal import queues
from portal.exports import service, wording
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export, ExportItem, SelectedRecord, utcnow
from portal.renders.entries import Look
from tests import factories
from tests.factories import login
from tests.helpers import request_export


def queued_jobs(app, lane: str) -> list[str]:
    return Queue(lane, connection=redis.Redis.from_url(app.config["REDIS_URL"])).job_ids


def test_export_is_committed_then_enqueued_with_the_export_as_job_id(app, client, world):
    records = factories.records(world.project_a, 3)
    db.session.commit()
    login(client, "member@acme.test")
    response = request_export(client, world.project_a, records, paper="Letter")
    export = Export.query.one()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/exports/{export.public_id}")
    assert export.status == "pending" and export.total == 3
    assert export.options == {
        "paper": "Letter",
        "include_originals": False,
        "name": wording.default_title(world.project_a.name, 3, utcnow().date()),
        "archival": True,
    }
    assert ExportItem.query.filter_by(export_id=export.id).count() == 3
    assert queued_jobs(app, "exports-small") == [queues.job_id(export)]


def test_the_server_side_selection_is_exported_when_no_ids_are_posted(app, client, world):
    records = factories.records(world.project_a, 4)
    db.session.commit()
    for record in records[:2]:
        db.session.add(
            SelectedRecord(
                user_id=world.member_a.id, project_id=world.project_a.id, record_id=record.id
            )
        )
    db.session.commit()
    login(client, "member@acme.test")
    request_export(client, world.project_a)
    assert Export.query.one().total == 2


def test_large_exports_take_the_large_lane(app, client, world):
    app.config["EXPORT_SMALL_LANE_MAX"] = 2
    records = factories.records(world.project_a, 3)
    db.session.commit()
    login(client, "member@acme.test")
    request_export(client, world.project_a, records)
    assert Export.query.one().queue_name == "exports-large"
    assert len(queued_jobs(app, "exports-large")) == 1


def test_identical_live_export_is_reused_not_duplicated(app, client, world):
    records = factories.records(world.project_a, 3)
    db.session.commit()
    login(client, "member@acme.test")
    request_export(client, world.project_a, records)
    second = request_export(client, world.project_a, list(reversed(records)))
    assert Export.query.count() == 1
    assert "reused=1" in second.headers["Location"]


def test_records_of_another_organisation_are_refused_with_no_row_and_no_job(app, client, world):
    mine = factories.records(world.project_a, 2)
    theirs = factories.record(world.project_b, n=900)
    db.session.commit()
    login(client, "member@acme.test")
    response = request_export(client, world.project_a, [*mine, theirs])
    assert response.status_code == 400
    assert "not in this project" in response.get_data(as_text=True)
    assert Export.query.count() == 0
    assert queued_jobs(app, "exports-small") == []


def test_another_organisations_project_answers_404(app, client, world):
    theirs = factories.records(world.project_b, 2)
    db.session.commit()
    login(client, "member@acme.test")
    assert request_export(client, world.project_b, theirs).status_code == 404
    assert Export.query.count() == 0


def test_empty_selection_and_bad_options_are_refused_clearly(app, client, world):
    records = factories.records(world.project_a, 2)
    db.session.commit()
    login(client, "member@acme.test")
    empty = request_export(client, world.project_a)
    assert empty.status_code == 400 and "Select at least one record" in empty.get_data(as_text=True)
    bad_paper = request_export(client, world.project_a, records, paper="A0")
    assert bad_paper.status_code == 400 and "Paper size" in bad_paper.get_data(as_text=True)
    bad_pdfs = request_export(client, world.project_a, records, archival="pdf/x")
    assert bad_pdfs.status_code == 400 and "Record PDFs must be" in bad_pdfs.get_data(as_text=True)
    malformed = request_export(client, world.project_a, record="../../etc")
    assert malformed.status_code == 400
    assert Export.query.count() == 0


def test_more_than_the_maximum_is_refused_with_the_limit_named(app, client, world):
    app.config["EXPORT_MAX_RECORDS"] = 3
    records = factories.records(world.project_a, 4)
    db.session.commit()
    login(client, "member@acme.test")
    response = request_export(client, world.project_a, records)
    assert response.status_code == 400
    assert "at most 3" in response.get_data(as_text=True)
    assert Export.query.count() == 0


def test_there_is_no_50_record_cap(app, client, world):
    records = factories.records(world.project_a, 120)
    db.session.commit()
    login(client, "member@acme.test")
    assert request_export(client, world.project_a, records).status_code == 303
    assert Export.query.one().total == 120


def test_active_exports_per_user_are_limited(app, client, world):
    app.config["EXPORT_MAX_ACTIVE_PER_USER"] = 2
    records = factories.records(world.project_a, 3)
    db.session.commit()
    login(client, "member@acme.test")
    for i in range(2):
        assert request_export(client, world.project_a, records[i : i + 1]).status_code == 303
    third = request_export(client, world.project_a, records[2:])
    assert third.status_code == 429
    assert third.headers["Retry-After"] == str(service.ACTIVE_LIMIT_RETRY_AFTER)
    assert "already have 2 exports in progress" in third.get_data(as_text=True)
    assert Export.query.count() == 2


def test_requests_are_rate_limited_per_user(app, client, world):
    app.config["EXPORT_RATE_LIMIT"] = "2 per minute"
    records = factories.records(world.project_a, 1)
    db.session.commit()
    login(client, "member@acme.test")
    statuses = [request_export(client, world.project_a, records).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_post_without_csrf_token_is_refused(app, client, world):
    records = factories.records(world.project_a, 1)
    db.session.commit()
    login(client, "member@acme.test")
    response = client.post(
        "/exports", data={"project": world.project_a.public_id, "record": [records[0].public_id]}
    )
    assert response.status_code == 400
    assert Export.query.count() == 0


def test_a_request_that_does_not_say_is_archival_as_the_deployment_says(app):
    app.config["PDF_ARCHIVAL"] = False

    assert ExportOptions.parse("A4", False, None, "T").look == Look("A4", archival=False)
    assert ExportOptions.parse("A4", False, None, "T", archival=True).look == Look(
        "A4", archival=True
    )
    assert not ExportOptions.from_stored({"paper": "A4"}).archival  # asked before archival PDFs


def test_the_form_chooses_plain_pdfs_and_the_export_page_says_so(app, client, world):
    records = factories.records(world.project_a, 1)
    db.session.commit()
    login(client, "member@acme.test")
    form = client.get(f"/projects/{world.project_a.public_id}/records").get_data(as_text=True)
    assert '<option value="archival" selected>Archival PDF/A, accessible</option>' in form

    response = request_export(client, world.project_a, records, archival="plain")
    export = Export.query.one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert export.options["archival"] is False and "A4 · Plain PDF" in page
