"""The status poll is cheap: an ETag over what it shows, 304 while unchanged, few queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import request
from flask_login import login_user
from flask_login.utils import _create_identifier
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from portal.exports import poll
from portal.extensions import db
from portal.models import Export, ExportStatus, User, utcnow
from tests import factories
from tests.factories import login
from tests.helpers import reload, sql_statements

HTMX = {"HX-Request": "true"}


def processing(world, **columns) -> Export:
    return factories.export_in(
        ExportStatus.PROCESSING, world.member_a, world.project_a, **{"done": 137, **columns}
    )


def poll_once(client, export: Export, tag: str | None = None):
    headers = {**HTMX, **({"If-None-Match": f'"{tag}"'} if tag else {})}
    return client.get(f"/exports/{export.public_id}/status", headers=headers)


def change(export: Export, **values) -> None:
    db.session.execute(update(Export).where(Export.id == export.id).values(**values))
    db.session.commit()


def test_an_unchanged_poll_answers_304_with_no_body_and_a_private_etag(client, world):
    export = processing(world)
    login(client, "member@acme.test")
    first = poll_once(client, export)
    tag = first.get_etag()[0]
    assert first.status_code == 200 and f'data-etag="{tag}"' in first.get_data(as_text=True)
    again = poll_once(client, export, tag)
    assert again.status_code == 304 and again.get_data() == b""
    assert again.get_etag()[0] == tag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in again.headers["Vary"]
    assert "Content-Security-Policy" in again.headers  # the security headers stay


def test_an_unchanged_poll_runs_at_most_two_statements(client, world):
    """The session's user and the export's row (with the navbar's count): here one statement
    reads both."""
    export = processing(world, started_at=utcnow())
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    with sql_statements() as statements:
        assert poll_once(client, export, tag).status_code == 304
    assert len(statements) <= 2, statements
    assert len(statements) == 1 and "viewer" in statements[0]


def test_without_the_middleware_flask_answers_the_same_304(app, client, world):
    """The view is the reference the middleware shortcuts: the same tag, the same headers."""
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    quick = poll_once(client, export, tag)
    outer = app.wsgi_app  # OnlyTheTrustedAddress, around UnchangedPolls
    outer.wsgi_app = outer.wsgi_app.wsgi_app  # this test's own app, without UnchangedPolls
    full = poll_once(client, export, tag)
    assert (quick.status_code, full.status_code) == (304, 304)
    assert full.get_etag()[0] == tag
    skip = {"Date", "Content-Type", "Content-Length"}
    assert {k: v for k, v in quick.headers if k not in skip} == {
        k: v for k, v in full.headers if k not in skip
    }


def test_a_changed_poll_renders_without_lazy_loads(client, world):
    """A live export renders from its row, read with its viewer: that query and at most the
    lane's rate."""
    export = processing(world, started_at=utcnow())
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    change(export, done=200)
    with sql_statements() as statements:
        answer = poll_once(client, export, tag)
    assert answer.status_code == 200 and "200 of 500" in answer.get_data(as_text=True)
    assert len(statements) <= 2, statements


@pytest.mark.parametrize(
    "values",
    [
        {"done": 138},
        {"total": 600},
        {"attempt": 2},
        {"cache_hits": 12},
        {"status": ExportStatus.PENDING},
        {"error": "Retrying after a storage problem"},
        {"started_at": utcnow()},
    ],
    ids=lambda values: next(iter(values)),
)
def test_the_etag_changes_with_anything_the_fragment_shows(client, world, values):
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    change(export, **values)
    assert poll_once(client, export, tag).status_code == 200


def test_the_navbar_count_is_part_of_the_etag(client, world):
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a)
    db.session.commit()
    answer = poll_once(client, export, tag)
    assert answer.status_code == 200
    assert 'title="2 in progress"' in answer.get_data(as_text=True)


def test_a_live_fragment_is_rendered_again_once_the_clock_moves_on(app, world):
    """The ETA and "next try in 5 minutes" come from the clock: the tag changes with it."""
    export = processing(world)
    with app.test_request_context():
        login_user(db.session.get(User, world.member_a.id))
        row = poll.export_row_or_404(export.public_id)
        now, refresh = 1_000_000.0, app.config["STATUS_REFRESH_SECONDS"]
        assert poll.etag(row, None, refresh, now) == poll.etag(row, None, refresh, now + 1)
        assert poll.etag(row, None, refresh, now) != poll.etag(row, None, refresh, now + refresh)


def test_the_etag_is_the_viewers_own(app, world):
    export = processing(world)
    member, admin = app.test_client(), app.test_client()
    login(member, "member@acme.test")
    login(admin, "admin@acme.test")
    member_tag = poll_once(member, export).get_etag()[0]
    assert poll_once(admin, export, member_tag).status_code == 200


def test_a_304_still_checks_who_asks(app, client, world):
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    other = app.test_client()
    login(other, "member@bravo.test")
    assert poll_once(other, export, tag).status_code == 404
    colleague = factories.user(world.org_a, "colleague@acme.test")
    db.session.commit()
    colleague_client = app.test_client()
    login(colleague_client, colleague.email)
    assert poll_once(colleague_client, export, tag).status_code == 404
    logged_out = poll_once(app.test_client(), export, tag)
    assert logged_out.status_code == 401 and "HX-Redirect" in logged_out.headers


def test_the_middleware_knows_flask_logins_session_identifier(app):
    """Flask-Login's "strong" protection drops a session used from another address or
    browser; the middleware computes its identifier the same way."""
    for headers, address in [
        ({"User-Agent": "Firefox/140"}, "10.0.0.7"),
        ({}, "127.0.0.1"),
        ({"User-Agent": "Édge", "X-Forwarded-For": "203.0.113.9, 10.0.0.1"}, "10.0.0.1"),
    ]:
        with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": address}):
            assert poll.login_identifier(request.environ) == _create_identifier()


def test_a_tampered_or_borrowed_session_gets_no_304(app, client, world):
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    cookie = client.get_cookie("session").value
    tampered = app.test_client()
    tampered.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert poll_once(tampered, export, tag).status_code == 401
    other_browser = app.test_client()
    other_browser.set_cookie("session", cookie)
    other_browser.environ_base["HTTP_USER_AGENT"] = "Another browser"
    assert poll_once(other_browser, export, tag).status_code == 401


def test_a_session_older_than_its_lifetime_gets_no_304(app, client, world):
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    later = app.permanent_session_lifetime + timedelta(days=1)
    with time_machine.travel(datetime.now(UTC) + later, tick=False):
        assert poll_once(client, export, tag).status_code == 401


def test_the_poll_that_sees_the_end_renders_the_fragment_that_stops_polling(client, world):
    export = processing(world)
    login(client, "member@acme.test")
    tag = poll_once(client, export).get_etag()[0]
    change(export, status=ExportStatus.FAILED, error="The export stopped with an error.")
    answer = poll_once(client, export, tag)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "could not be completed" in html
    assert "hx-trigger" not in html and "/retry" in html
    assert reload(export.id).status == ExportStatus.FAILED


def test_a_queued_export_behind_others_is_polled_less_often(client, world):
    queued = factories.export_in(ExportStatus.PENDING, world.member_a, world.project_a)
    building = processing(world)
    login(client, "member@acme.test")
    assert 'hx-trigger="every 5s' in poll_once(client, queued).get_data(as_text=True)
    assert 'hx-trigger="every 2s' in poll_once(client, building).get_data(as_text=True)


def test_a_poll_while_the_database_restarts_is_a_503_to_retry_not_a_500(app, client, world):
    """Found by the rehearsal: a PostgreSQL restart gave every poll a 500 for 20 s, from the
    middleware (outside Flask's error handling) and from Flask. The clock stands still: a live
    export's tag moves with it, and on a busy machine a step could pass between the polls."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        export = processing(world)
        login(client, "member@acme.test")
        tag = poll_once(client, export).headers["ETag"].strip('"')

        def restarting(*args, **kwargs):
            raise OperationalError(
                "SELECT 1", {}, Exception("the database system is shutting down")
            )

        event.listen(db.engine, "before_cursor_execute", restarting)
        try:
            answers = [poll_once(client, export, tag), poll_once(client, export)]
        finally:
            event.remove(db.engine, "before_cursor_execute", restarting)
        assert [a.status_code for a in answers] == [503, 503]
        assert all(a.headers["Retry-After"] == "5" for a in answers)
        assert poll_once(client, export, tag).status_code == 304  # and back, with the same login
