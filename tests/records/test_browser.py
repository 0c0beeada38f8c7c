"""The records page in Debian's Chromium: htmx swaps, pushed URLs, ticks and back/forward.

`page` is pytest-playwright's (tests/conftest.py points it at Debian's Chromium).
"""

import threading

import pytest
from werkzeug.serving import make_server

from portal.extensions import db
from tests import factories

pytestmark = pytest.mark.browser
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  (window.cspViolations = window.cspViolations || []).push(e.violatedDirective);
});"""


@pytest.fixture
def records_site(app):
    """The test's app over HTTP on a free port, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_filters_ticks_and_back_work_in_a_real_browser(world, records_site, page):
    from playwright.sync_api import expect

    factories.records(world.project_a, 12)
    db.session.commit()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            r.status >= 400 and "favicon" not in r.url and errors.append(f"{r.status} {r.url}")
        ),
    )
    page.add_init_script(CSP_LISTENER)
    page.goto(f"{records_site}/login")
    page.fill("#email", "member@acme.test")
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{records_site}/projects/{world.project_a.public_id}/records")
    page.evaluate("window.sameDocument = true")

    page.select_option("#filter-kind", "issue")
    page.wait_for_url("**kind=issue**")
    expect(page.locator(".results-summary")).to_have_text("Showing 1–3 of 3 records")
    page.locator("tbody input[type=checkbox]").first.check()
    expect(page.locator(".selection-count")).to_have_text("1 selected")
    page.click("text=Select all 3 matching")
    expect(page.locator(".selection-count")).to_have_text("3 selected")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)
    assert page.evaluate("window.sameDocument") is True

    page.go_back()
    expect(page.locator(".results-summary")).to_have_text("Showing 1–12 of 12 records")
    assert page.url.endswith("/records")
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(3)
    expect(page.locator("#filter-kind")).to_have_value("")
    assert errors == []
    assert page.evaluate("window.cspViolations || []") == []
