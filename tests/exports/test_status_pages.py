"""What the pages show, and that polling stops by itself in terminal states."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Export, ExportStatus, utcnow
from tests import factories
from tests.factories import login, member_exports
from tests.helpers import reload
from tests.polling import wait_until


def make_export(world, case: str) -> Export:
    """Org A member's export as the page shows it in `case` (a state, or "expired": a ready
    export past its expiry that the sweeper has not reached yet)."""
    state, columns = CASES[case]
    return factories.export_in(state, world.member_a, world.project_a, **columns())


CASES = {
    "pending": (ExportStatus.PENDING, dict),
    "processing": (ExportStatus.PROCESSING, lambda: {"done": 137}),
    "completed": (
        ExportStatus.COMPLETED,
        lambda: {"expires_at": utcnow() + timedelta(days=6, hours=1)},
    ),
    "failed": (ExportStatus.FAILED, dict),
    "expired": (ExportStatus.COMPLETED, lambda: {"expires_at": utcnow() - timedelta(hours=1)}),
    "cancelled": (ExportStatus.CANCELLED, dict),
    "revoked": (ExportStatus.REVOKED, dict),
}


EXPECTED_TEXT = {
    "pending": "Queued",
    "processing": "137 of 500",
    "completed": ">in 6 days</time>",
    "failed": "file storage could not be reached",
    "expired": "This export expired on",
    "cancelled": "was cancelled",
    "revoked": "withdrew this export",
}


@pytest.mark.parametrize("state", list(CASES))
def test_status_fragment_says_the_state_and_polls_only_while_live(client, world, state):
    export = make_export(world, state)
    login(client, "member@acme.test")
    response = client.get(f"/exports/{export.public_id}/status", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert EXPECTED_TEXT[state] in html
    assert 'role="status"' in html and 'aria-live="polite"' in html
    assert ('hx-trigger="every ' in html) == (state in ("pending", "processing"))


def test_terminal_states_offer_the_right_action(client, world):
    failed = make_export(world, "failed")
    expired = make_export(world, "expired")
    login(client, "member@acme.test")
    assert "/retry" in client.get(f"/exports/{failed.public_id}").get_data(as_text=True)
    assert "/reorder" in client.get(f"/exports/{expired.public_id}").get_data(as_text=True)


def test_my_exports_with_only_finished_exports_makes_no_polling_requests(client, world):
    for _ in range(10):
        make_export(world, "completed")
    login(client, "member@acme.test")
    html = client.get("/exports").get_data(as_text=True)
    assert html.count("<tr") == 11
    assert "hx-trigger" not in html


def test_my_exports_polls_once_for_the_whole_table_while_one_is_live(client, world):
    make_export(world, "completed")
    make_export(world, "processing")
    make_export(world, "pending")
    login(client, "member@acme.test")
    html = client.get("/exports").get_data(as_text=True)
    assert html.count('hx-trigger="every 2s') == 1
    assert 'hx-trigger="every 5s' not in html  # the navbar does not poll on top of it


def test_empty_my_exports_says_how_to_start(client, world):
    login(client, "member@acme.test")
    assert "No exports yet" in client.get("/exports").get_data(as_text=True)


def test_navbar_counts_live_exports_and_toasts_one_that_finished(client, world):
    make_export(world, "processing")
    login(client, "member@acme.test")
    page = client.get("/").get_data(as_text=True)
    assert 'class="nav-count"' in page and 'hx-trigger="every 5s' in page
    since = int(time.time()) - 60
    make_export(world, "completed")
    poll = client.get(f"/exports/activity?since={since}", headers={"HX-Request": "true"})
    assert "records is ready" in poll.get_data(as_text=True)


def test_idle_pages_do_not_poll(client, world):
    make_export(world, "completed")
    login(client, "member@acme.test")
    assert "hx-trigger" not in client.get("/").get_data(as_text=True)


def test_activity_ignores_a_malformed_since(client, world):
    login(client, "member@acme.test")
    assert client.get("/exports/activity?since=abc").status_code == 200


def test_htmx_poll_after_the_session_ended_redirects_the_whole_page(app, world):
    export = make_export(world, "processing")
    page = f"http://sitepack.test/exports/{export.public_id}"
    response = app.test_client().get(
        f"/exports/{export.public_id}/status",
        headers={"HX-Request": "true", "HX-Current-URL": page},
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == f"/login?next=/exports/{export.public_id}"


def test_another_organisations_user_gets_404_from_the_export_and_its_download(client, world):
    export = make_export(world, "completed")
    login(client, "member@bravo.test")
    for path in ("", "/status", "/download"):
        assert client.get(f"/exports/{export.public_id}{path}").status_code == 404


def test_a_colleague_who_is_not_an_admin_gets_404_but_an_admin_may_see_it(app, client, world):
    colleague = factories.user(world.org_a, "colleague@acme.test")
    db.session.commit()
    export = make_export(world, "completed")
    login(client, colleague.email)
    assert client.get(f"/exports/{export.public_id}").status_code == 404
    admin = app.test_client()
    login(admin, "admin@acme.test")
    assert admin.get(f"/exports/{export.public_id}").status_code == 200


@pytest.mark.parametrize(
    ("state", "status_code"),
    [
        ("pending", 409),
        ("processing", 409),
        ("expired", 410),
        ("revoked", 410),
        ("cancelled", 410),
        ("failed", 410),
    ],
)
def test_download_of_an_unavailable_export_explains_why(client, world, state, status_code):
    """409: not ready yet, come back later. 410: it is gone and will not come back."""
    export = make_export(world, state)
    login(client, "member@acme.test")
    response = client.get(f"/exports/{export.public_id}/download")
    assert response.status_code == status_code
    assert "isn't available" in response.get_data(as_text=True)


def test_malformed_export_ids_answer_404(client, world):
    login(client, "member@acme.test")
    for bad in ("x", "../../etc/passwd", "a" * 200, "%00"):
        assert client.get(f"/exports/{bad}").status_code == 404


def test_pages_carry_a_strict_content_security_policy(client, world):
    login(client, "member@acme.test")
    response = client.get("/exports")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_while_an_automatic_retry_waits_the_status_says_why_when_and_which_try(
    app, client, world, project_records, worker
):
    app.config["EXPORT_RETRY_INTERVALS"] = [300, 600]
    export = member_exports(client, world, project_records(2, photo_every=0))
    with worker(S3_ENDPOINT_URL="http://127.0.0.1:9"):
        # Released for RQ's retry: pending again, with the reason on the row.
        wait_until(lambda: (e := reload(export.id)).status == "pending" and e.error, timeout=60)
    status = client.get(f"/exports/{export.public_id}/status", headers={"HX-Request": "true"})
    html = status.get_data(as_text=True)
    note = r"Retrying after a storage problem; next try in [456] minutes \(attempt 2 of 3\)\."
    assert re.search(note, html), html  # 5 minutes, jittered (queues.RETRY_JITTER)
    assert "select Retry" not in html and "/retry" not in html
    assert "waiting for a free export worker" not in html
    assert 'hx-trigger="every 5s' in html  # waiting for the retry: polled less often
