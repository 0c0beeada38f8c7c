"""An org admin removes a member on the organisation settings page: after a confirmation
that names their schedules, the member can no longer sign in or use a key, their running
schedules are paused, and every admin gets one email naming them."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Schedule, User
from portal.schedules import service as schedules
from portal.schedules.service import ScheduleIn
from tests import factories
from tests.factories import login
from tests.helpers import csrf
from tests.polling import wait_until
from tests.servers import text_body

PAGE = "/settings/organisation/"


@pytest.fixture
def app_overrides() -> dict:
    """The admins' email is sent by the web request itself, which TESTING would keep back."""
    return {"MAIL_SUPPRESS_SEND": False}


def schedule_of(world, owner: User, name: str) -> Schedule:
    asked = ScheduleIn.checked(name, {}, "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17", "Europe/London", False)
    return schedules.add(owner, world.project_a, asked)


def remove(client, user: User, confirmed: bool = True):
    data = {"csrf_token": csrf(client, PAGE)} | ({"confirmed": "yes"} if confirmed else {})
    return client.post(f"{PAGE}members/{user.id}/remove", data=data)


def test_removing_a_member_pauses_their_schedules_and_tells_every_admin(
    app, client, world, mail_sink
):
    weekly = schedule_of(world, world.member_a, "Weekly NCRs")
    schedules.pause(schedule_of(world, world.member_a, "Monthly"))
    theirs_too = schedule_of(world, world.admin_a, "Admin's own")
    second_admin = factories.user(world.org_a, "second@acme.test", role="admin")
    key = factories.api_key(world.member_a)
    db.session.commit()
    login(client, world.admin_a.email)
    page = client.get(PAGE).get_data(as_text=True)
    assert "member@acme.test" in page and f"members/{world.member_a.id}/remove" in page
    asked = remove(client, world.member_a, confirmed=False)
    assert asked.status_code == 200 and "Weekly NCRs" in asked.get_data(as_text=True)
    assert db.session.get(User, world.member_a.id).deactivated_at is None  # only asked
    done = remove(client, world.member_a)
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, world.member_a.id).deactivated_at is not None
    assert db.session.get(Schedule, weekly.id).paused is True
    assert db.session.get(Schedule, theirs_too.id).paused is False
    mails = wait_until(lambda: [m for m in mail_sink.messages if "was removed" in m["Subject"]])
    [mail] = mails
    assert set(mail["X-Envelope-To"].split(", ")) >= {world.admin_a.email, second_admin.email}
    body = text_body(mail)
    assert "Weekly NCRs" in body and "Monthly" not in body and "/schedules" in body
    assert "1 scheduled export paused" in mail["Subject"]
    gone = app.test_client()
    login(gone, world.member_a.email)
    assert gone.get("/exports").status_code == 302  # the login form again
    assert client.get("/api/v1/projects", headers=factories.bearer(key)).status_code == 401


def test_a_removed_members_session_ends_at_once(app, client, world):
    member = app.test_client()
    login(member, world.member_a.email)
    assert member.get("/exports").status_code == 200
    login(client, world.admin_a.email)
    assert remove(client, world.member_a).status_code == 303
    answer = member.get("/exports")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_the_last_admin_cannot_remove_themselves_but_one_of_two_can(app, client, world):
    login(client, world.admin_a.email)
    refused = remove(client, world.admin_a)
    assert refused.status_code == 409 and "only administrator" in refused.get_data(as_text=True)
    assert db.session.get(User, world.admin_a.id).deactivated_at is None
    factories.user(world.org_a, "second@acme.test", role="admin")
    db.session.commit()
    assert remove(client, world.admin_a).status_code == 303


def test_members_and_other_organisations_get_404(app, client, world):
    factories.user(world.org_b, "admin@bravo.test", role="admin")
    db.session.commit()
    for who in (world.member_a.email, "admin@bravo.test"):
        login(client, who)
        assert remove(client, world.member_a).status_code == 404, who
        assert remove(client, world.admin_a).status_code == 404, who
        client.post("/logout", data={"csrf_token": csrf(client, "/")})
    db.session.expire_all()
    assert db.session.get(User, world.member_a.id).deactivated_at is None
