"""Exports have names: a title typed in the portal or sent to the API (or the default one),
shown on the export's page, in its emails' subjects, its zip's file name and the API."""

from __future__ import annotations

from datetime import date

import pytest

from jobs.assemble import download_name
from portal.exports import wording
from portal.exports.errors import ExportRequestError
from portal.exports.options import NAME_MAX, ExportOptions
from portal.extensions import db, mail
from portal.mailer import MailKind, send_export_mail
from portal.models import Export, ExportStatus, utcnow
from tests import factories
from tests.factories import login
from tests.helpers import csrf

DEFAULT = "Harbour View Tower — 2 records — 7 Dec 2026"


def test_the_default_title_names_project_count_and_day():
    assert (
        wording.default_title("Tower A", 146, date(2026, 12, 7))
        == "Tower A — 146 records — 7 Dec 2026"
    )
    assert (
        wording.default_title("Tower A", 1, date(2027, 1, 1)) == "Tower A — 1 record — 1 Jan 2027"
    )


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("", DEFAULT),
        ("   ", DEFAULT),
        ("  Handover,\n block B ", "Handover, block B"),
        ("Müller & Söhne — 👷‍♀️", "Müller & Söhne — 👷‍♀️"),
        ("x" * NAME_MAX, "x" * NAME_MAX),
    ],
)
def test_a_typed_title_is_kept_on_one_line_and_a_blank_one_is_the_default(typed, kept):
    assert ExportOptions.parse("A4", False, typed, DEFAULT, archival=False).name == kept


@pytest.mark.parametrize(
    "typed, says",
    [
        ("x" * (NAME_MAX + 1), "longer than 120"),
        ("report\u202efdp.zip", "control character"),
        ("a\x00b", "control character"),
        ("a\x1bb", "control character"),
    ],
)
def test_a_title_too_long_or_with_control_characters_is_refused(typed, says):
    with pytest.raises(ExportRequestError, match=says):
        ExportOptions.parse("A4", False, typed, DEFAULT, archival=False)


def test_the_zip_is_named_after_the_title_cleaned_for_every_file_system(app, world):
    export = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a)
    export.options = {**export.options, "name": 'Handover: block "B" / level 2'}
    assert download_name(export, date(2026, 12, 7)) == "Handover- block -B- - level 2.zip"
    export.options = {"paper": "A4"}  # an export from before titles: its project's name
    assert download_name(export, date(2026, 12, 7)) == "Harbour View Tower.zip"


def posted_export(client, world, **form) -> Export:
    records = factories.records(world.project_a, 2)
    db.session.commit()
    login(client, "member@acme.test")
    token = csrf(client, f"/projects/{world.project_a.public_id}/records")
    data = {"project": world.project_a.public_id, "record": [r.public_id for r in records]}
    response = client.post("/exports", data={**data, **form, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return Export.query.one()


def test_the_portal_keeps_a_typed_title_and_shows_it_on_the_page(client, world):
    export = posted_export(client, world, title="Handover pack — block B")
    assert wording.title(export) == "Handover pack — block B"
    page = client.get(f"/exports/{export.public_id}").get_data(as_text=True)
    assert '<h1 class="export-title">Handover pack — block B</h1>' in page
    assert "Export of 2 records" in page
    listing = client.get("/exports").get_data(as_text=True)
    assert "Handover pack — block B" in listing


def test_the_portal_gives_an_untitled_export_the_default_title(client, world):
    export = posted_export(client, world)
    today = utcnow().date()
    assert wording.title(export) == wording.default_title("Harbour View Tower", 2, today)


def test_the_portal_refuses_a_title_with_an_override_and_saves_nothing(client, world):
    records = factories.records(world.project_a, 1)
    db.session.commit()
    login(client, "member@acme.test")
    token = csrf(client, f"/projects/{world.project_a.public_id}/records")
    form = {"project": world.project_a.public_id, "record": records[0].public_id}
    response = client.post("/exports", data={**form, "title": "a\u202eb", "csrf_token": token})
    assert response.status_code == 400 and "control character" in response.get_data(as_text=True)
    assert Export.query.count() == 0


def test_the_email_subject_names_the_export(app, world):
    export = factories.export_in(ExportStatus.COMPLETED, world.member_a, world.project_a)
    export.options = {**export.options, "name": "Level 3 snags"}
    db.session.commit()
    with mail.record_messages() as outbox:
        send_export_mail(export, MailKind.READY)
    assert [m.subject for m in outbox] == ["“Level 3 snags” is ready"]
