"""The browser tests' own alarm: a CSP violation or a console error on any page fails the test.

These tests use an unwatched WatchedPage on purpose: they provoke the faults and assert that
the check catches them, where the `watched` fixture would (rightly) fail at teardown.
"""

from __future__ import annotations

import pytest

from tests.e2e.browser import WatchedPage

pytestmark = pytest.mark.browser


def with_inline_style(route) -> None:
    """The real login page with the app's real CSP, as if a template had gained a style=."""
    response = route.fetch()
    body = response.text().replace("<h1>", '<h1 style="color: red">', 1)
    route.fulfill(response=response, body=body)


def test_an_inline_style_fails_the_check_even_after_leaving_the_page(page, live_server):
    probe = WatchedPage(page, live_server)
    page.route("**/login", with_inline_style)
    page.goto(f"{live_server}/login")
    page.unroute("**/login")
    page.goto(f"{live_server}/login")
    with pytest.raises(AssertionError, match="style-src"):
        probe.assert_clean()
    assert len(probe.violations) == 1 and "/login" in probe.violations[0]


def test_a_clean_page_passes_the_check(page, live_server):
    probe = WatchedPage(page, live_server)
    page.goto(f"{live_server}/login")
    probe.assert_clean()


def test_an_unexpected_404_fails_the_check_and_an_expected_one_does_not(world, page, live_server):
    probe = WatchedPage(page, live_server)
    probe.login("member@acme.test")
    page.goto(f"{live_server}/no-such-page")
    with pytest.raises(AssertionError, match="404"):
        probe.assert_clean()
    probe.console_errors.clear()
    probe.expect_status("/no-such-page", 404)
    page.goto(f"{live_server}/no-such-page")
    probe.assert_clean()
