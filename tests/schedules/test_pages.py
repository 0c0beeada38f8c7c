"""The schedules page and form through HTTP: make, list, pause, resume, edit, delete; another
organisation's and a colleague's schedules answer 404."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Schedule
from tests import factories
from tests.helpers import csrf

FORM = {
    "name": "Friday handover",
    "kind": "issue",
    "status": "open",
    "q": "",
    "rhythm": "Every Friday 17:00",
    "rrule": "",
    "timezone": "Europe/London",
    "recipients": "Rep@Client.TEST",
}


def make(client, world, **changes):
    data = {**FORM, "project": world.project_a.public_id, "csrf_token": csrf(client), **changes}
    return client.post("/schedules", data=data)


def test_a_member_schedules_the_records_filter_and_manages_it(client, world):
    factories.login(client, "member@acme.test")
    page = client.get(f"/projects/{world.project_a.public_id}/records?kind=issue")
    assert f"/projects/{world.project_a.public_id}/schedules/new?kind=issue" in page.get_data(
        as_text=True
    )
    form = client.get(f"/projects/{world.project_a.public_id}/schedules/new?kind=issue")
    assert form.status_code == 200 and 'value="issue" selected' in form.get_data(as_text=True)
    assert make(client, world).status_code == 303
    schedule = db.session.scalar(select(Schedule))
    assert schedule.filter_args == {"kind": "issue", "status": "open"}
    assert schedule.recipients == ["Rep@client.test"]
    assert schedule.rrule == "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0"
    listing = client.get("/schedules").get_data(as_text=True)
    assert "Friday handover" in listing and "Next run:" in listing
    base = f"/schedules/{schedule.public_id}"
    assert client.post(f"{base}/pause", data={"csrf_token": csrf(client)}).status_code == 303
    assert "none while paused" in client.get("/schedules").get_data(as_text=True)
    client.post(f"{base}/resume", data={"csrf_token": csrf(client)})
    edited = {
        **FORM,
        "name": "Monthly",
        "rhythm": "custom",
        "rrule": "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8",
    }
    assert client.post(base, data={**edited, "csrf_token": csrf(client)}).status_code == 303
    db.session.expire_all()
    assert (schedule.name, schedule.paused) == ("Monthly", False)
    assert client.get(f"{base}/edit").status_code == 200
    assert client.post(f"{base}/delete", data={"csrf_token": csrf(client)}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Schedule)) == 0


def test_a_rule_or_zone_that_cannot_be_used_is_refused_with_the_form_again(client, world):
    factories.login(client, "member@acme.test")
    for changes in ({"rhythm": "custom", "rrule": "FREQ=MINUTELY"}, {"timezone": "Nowhere/City"}):
        response = make(client, world, **changes)
        assert response.status_code == 400 and "Schedule an export" in response.get_data(
            as_text=True
        )
    assert db.session.scalar(select(func.count()).select_from(Schedule)) == 0


def test_another_organisation_and_a_colleague_get_404(app, client, world):
    factories.login(client, "member@acme.test")
    make(client, world)
    schedule = db.session.scalar(select(Schedule))
    for email in ("member@bravo.test", factories.user(world.org_a, "colleague@acme.test").email):
        db.session.commit()
        other = app.test_client()
        factories.login(other, email)
        base = f"/schedules/{schedule.public_id}"
        assert other.get(f"{base}/edit").status_code == 404
        for path in (base, f"{base}/pause", f"{base}/delete"):
            assert other.post(path, data={**FORM, "csrf_token": csrf(other)}).status_code == 404
        assert schedule.public_id not in other.get("/schedules").get_data(as_text=True)
    intruder = app.test_client()
    factories.login(intruder, "member@bravo.test")
    assert intruder.get(f"/projects/{world.project_a.public_id}/schedules/new").status_code == 404
    assert make(intruder, world).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(Schedule.paused)) is False
