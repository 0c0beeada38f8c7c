"""External shares through the HTTP routes, without a worker: a completed export's rows are
made directly, the emails go to the session's SMTP sink, and the presigned URL is read, not
fetched (tests/e2e/test_share_journey.py follows one with a real zip in a browser)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from rq import Queue
from sqlalchemy import func, select

from portal import queues
from portal.extensions import db
from portal.models import ExportShare, ShareAccess, ShareAccessKind, utcnow
from portal.shares import policy
from tests import factories
from tests.helpers import csrf, once_form
from tests.polling import wait_until
from tests.servers import text_body

LINK = re.compile(r"https?://\S+/s/([A-Za-z0-9_-]{43})")
# Every page carries a fresh CSRF token (signed with the time), the one part that may differ.
CSRF_HEADER = re.compile(r"hx-headers='[^']*'")
PASSCODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")


@pytest.fixture
def app_overrides() -> dict:
    """Shares are emailed by the web request itself, which TESTING would keep from the sink."""
    return {"MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def ready(world, make_export):
    return make_export(status="completed", parts=2)


@pytest.fixture
def sharer(app, world):
    client = app.test_client()
    factories.login(client, "member@acme.test")
    return client


def mails_to(mail_sink, address: str) -> list:
    return [m for m in mail_sink.messages if m["X-Envelope-To"] == address]


def share(client, export, emails: str, **form):
    """The share form as a browser posts it: each form shown carries a fresh one-time token."""
    data = {
        "emails": emails,
        "message": "For the handover",
        "csrf_token": csrf(client),
        "form_token": secrets.token_urlsafe(32),
        **form,
    }
    return client.post(f"/exports/{export.public_id}/shares", data=data)


def token_for(mail_sink, address: str) -> str:
    wait_until(lambda: mails_to(mail_sink, address), timeout=10)
    return LINK.search(text_body(mails_to(mail_sink, address)[0])).group(1)


def accesses(kind: ShareAccessKind) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ShareAccess).where(ShareAccess.kind == kind)
    )


def post_download(visitor, token: str, **form):
    data = {"csrf_token": csrf(visitor, f"/s/{token}"), "part": "1", **form}
    return visitor.post(f"/s/{token}/download", data=data)


def test_each_recipient_gets_their_own_link_stored_only_as_a_hash(sharer, ready, mail_sink):
    response = share(sharer, ready, "ann@client.test, Bob@Client.TEST\nann@client.test")
    assert response.status_code == 303
    rows = db.session.scalars(select(ExportShare).order_by(ExportShare.id)).all()
    assert [row.email for row in rows] == ["ann@client.test", "Bob@client.test"]
    ann, bob = token_for(mail_sink, "ann@client.test"), token_for(mail_sink, "Bob@client.test")
    assert ann != bob
    stored = " ".join(f"{row.token_digest} {row.public_id}" for row in rows)
    assert ann not in stored and bob not in stored
    body = text_body(mails_to(mail_sink, "ann@client.test")[0])
    assert "For the handover" in body and "Harbour View Tower" in body


def test_a_share_form_posted_again_sends_nothing_and_says_so(sharer, ready, mail_sink):
    """A reload, Back or a second click posts the same form, with its one-time token, again."""
    form = {"emails": "ann@client.test, bob@client.test", "message": "For the handover",
            **once_form(sharer, f"/exports/{ready.public_id}")}  # fmt: skip
    first = sharer.post(f"/exports/{ready.public_id}/shares", data=form)
    again = sharer.post(f"/exports/{ready.public_id}/shares", data=form, follow_redirects=True)
    assert first.status_code == 303 and again.status_code == 200
    assert "sent already, so nothing was sent again" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ExportShare)) == 2
    wait_until(lambda: len(mails_to(mail_sink, "bob@client.test")) == 1, timeout=10)
    assert len(mails_to(mail_sink, "ann@client.test")) == 1
    without = {key: value for key, value in form.items() if key != "form_token"}
    assert sharer.post(f"/exports/{ready.public_id}/shares", data=without).status_code == 400


def test_a_get_or_head_downloads_nothing_and_a_post_redirects_to_a_minute_long_url(
    app, sharer, ready, mail_sink
):
    share(sharer, ready, "cara@client.test")
    token = token_for(mail_sink, "cara@client.test")
    visitor = app.test_client()
    assert visitor.head(f"/s/{token}").status_code == 200
    page = visitor.get(f"/s/{token}")
    assert page.status_code == 200 and "Download all 2 zips" in page.get_data(as_text=True)
    assert accesses(ShareAccessKind.OPENED) == 1 and accesses(ShareAccessKind.DOWNLOADED) == 0
    assert db.session.scalar(select(ExportShare.first_downloaded_at)) is None

    response = post_download(visitor, token, part="2")
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 60
    assert ready.parts[1].object_key.rsplit("/", 1)[-1] in response.headers["Location"]
    every = post_download(visitor, token, part="all")
    assert every.status_code == 200 and every.get_data(as_text=True).count("X-Amz-Expires") == 2
    assert accesses(ShareAccessKind.DOWNLOADED) == 3
    assert post_download(visitor, token, part="3").status_code == 400


def test_the_sharer_is_told_of_the_first_download_only(app, sharer, ready, mail_sink):
    share(sharer, ready, "dee@client.test")
    token = token_for(mail_sink, "dee@client.test")
    visitor = app.test_client()
    mail_lane = Queue(queues.MAIL, connection=queues.connection())
    before = mail_lane.count
    for _ in range(3):
        assert post_download(visitor, token).status_code == 303
    notices = [job for job in mail_lane.jobs if job.func_name.endswith("first_download_mail")]
    assert mail_lane.count - before == 1 and len(notices) == 1


def test_a_passcode_goes_in_a_second_email_and_a_wrong_one_downloads_nothing(
    app, sharer, ready, mail_sink
):
    share(sharer, ready, "eve@client.test", passcode="yes")
    wait_until(lambda: len(mails_to(mail_sink, "eve@client.test")) == 2, timeout=10)
    first, second = mails_to(mail_sink, "eve@client.test")
    token = LINK.search(text_body(first)).group(1)
    passcode = PASSCODE.search(text_body(second)).group(1)
    assert passcode not in text_body(first) and token not in text_body(second)
    visitor = app.test_client()
    assert post_download(visitor, token).status_code == 403
    assert post_download(visitor, token, passcode="WRONG-CODE").status_code == 403
    assert accesses(ShareAccessKind.DOWNLOADED) == 0
    assert post_download(visitor, token, passcode=passcode.lower()).status_code == 303


def test_expired_revoked_and_unknown_links_answer_the_same_page(app, sharer, ready, mail_sink):
    for who in ("old", "gone"):
        share(sharer, ready, f"{who}@client.test")
    old, gone = token_for(mail_sink, "old@client.test"), token_for(mail_sink, "gone@client.test")
    db.session.execute(
        db.update(ExportShare)
        .where(ExportShare.email == "old@client.test")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    row = db.session.scalar(select(ExportShare).where(ExportShare.email == "gone@client.test"))
    revoked = sharer.post(
        f"/exports/{ready.public_id}/shares/{row.public_id}/revoke",
        data={"csrf_token": csrf(sharer)},
    )
    assert revoked.status_code == 303
    visitor = app.test_client()
    answers = {
        CSRF_HEADER.sub("", visitor.get(f"/s/{token}").get_data(as_text=True))
        for token in (old, gone, "x" * 43, "short")
    }
    assert len(answers) == 1 and "This link isn't available" in answers.pop()
    assert post_download(visitor, gone).status_code == 404
    assert accesses(ShareAccessKind.OPENED) == accesses(ShareAccessKind.DOWNLOADED) == 0


def test_the_link_lives_no_longer_than_the_export(sharer, ready):
    later = (ready.expires_at + timedelta(days=30)).strftime("%Y-%m-%d")
    assert share(sharer, ready, "fay@client.test", expires_on=later).status_code == 303
    assert db.session.scalar(select(ExportShare.expires_at)) == ready.expires_at
    assert share(sharer, ready, "fay@client.test", expires_on="2020-01-01").status_code == 400


def test_the_organisation_turns_sharing_off_or_keeps_it_to_its_domains(
    app, world, sharer, ready, mail_sink
):
    share(sharer, ready, "gil@client.test")
    token = token_for(mail_sink, "gil@client.test")
    admin = app.test_client()
    factories.login(admin, "admin@acme.test")
    form = {"domains": "@partner.test\nclient.test", "enabled": "yes", "csrf_token": csrf(admin)}
    assert admin.post("/admin/sharing", data=form).status_code == 303
    refused = share(sharer, ready, "hal@elsewhere.test")
    assert refused.status_code == 403 and "partner.test, client.test" in refused.get_data(
        as_text=True
    )
    assert app.test_client().get(f"/s/{token}").status_code == 200
    del form["enabled"]
    assert admin.post("/admin/sharing", data=form).status_code == 303
    assert not policy.of(world.org_a.id).enabled
    assert share(sharer, ready, "gil@client.test").status_code == 403
    assert app.test_client().get(f"/s/{token}").status_code == 404
    bad = admin.post("/admin/sharing", data={**form, "domains": "not a domain!"})
    assert bad.status_code == 400
    assert sharer.get("/admin/sharing").status_code == 404


def test_only_a_ready_export_is_shared_and_never_by_another_organisation(
    app, world, make_export, sharer, ready, mail_sink
):
    pending = make_export(status="pending")
    assert share(sharer, pending, "ian@client.test").status_code == 409
    share(sharer, ready, "jo@client.test")
    row = db.session.scalar(select(ExportShare))
    intruder = app.test_client()
    factories.login(intruder, "member@bravo.test")
    assert share(intruder, ready, "kim@client.test").status_code == 404
    revoke = f"/exports/{ready.public_id}/shares/{row.public_id}/revoke"
    assert intruder.post(revoke, data={"csrf_token": csrf(intruder)}).status_code == 404
    other = f"/exports/{pending.public_id}/shares/{row.public_id}/revoke"
    assert sharer.post(other, data={"csrf_token": csrf(sharer)}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ExportShare)) == 1
    assert db.session.scalar(select(ExportShare.revoked_at)) is None


def test_a_link_is_rate_limited(app, sharer, ready, mail_sink):
    app.config["SHARE_TOKEN_RATE_LIMIT"] = "3 per minute"
    share(sharer, ready, "lee@client.test")
    token = token_for(mail_sink, "lee@client.test")
    visitor = app.test_client()
    statuses = [visitor.get(f"/s/{token}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_export_page_and_admin_timeline_show_each_open_and_download(
    app, sharer, ready, mail_sink
):
    share(sharer, ready, "max@client.test")
    token = token_for(mail_sink, "max@client.test")
    visitor = app.test_client()
    visitor.get(f"/s/{token}", headers={"User-Agent": "ClientBrowser/1.0"})
    post_download(visitor, token)
    page = sharer.get(f"/exports/{ready.public_id}").get_data(as_text=True)
    assert "max@client.test" in page and "ClientBrowser/1.0" in page
    assert "Opened" in page and "Downloaded" in page and "Withdraw this link" in page
    admin = app.test_client()
    factories.login(admin, "admin@acme.test")
    timeline = admin.get(f"/admin/exports/{ready.public_id}").get_data(as_text=True)
    for label in ("Shared outside the organisation", "Share link opened", "through a share"):
        assert label in timeline
