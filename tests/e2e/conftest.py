"""Browser tests: the test's app served over HTTP on 127.0.0.1, driven by Debian's Chromium
(and examples/sitepack_client.py, run against the same server, without a browser).

`page` comes from pytest-playwright (launched with Debian's binary, see tests/conftest.py).
`watched` wraps it (tests/e2e/browser.py): it collects console errors and CSP violations of
every page the test visits, counts requests by path, saves screenshots under
test-artifacts/screenshots/ (git-ignored), and fails the test at teardown if anything was
collected, so no test can forget to check.

The server listens on a port chosen before the app is built, and the app's PUBLIC_BASE_URL
names it: the links in the emails the worker sends lead to this very server.
"""

from __future__ import annotations

import pytest

from tests.e2e.browser import WatchedPage
from tests.servers import free_port, serving


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def sitepack_env(sitepack_env, live_port):
    return {**sitepack_env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{live_port}"}


@pytest.fixture
def live_server(app, live_port):
    with serving(app, live_port) as url:
        yield url


@pytest.fixture
def watched(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    watched = WatchedPage(page, live_server)
    yield watched
    watched.assert_clean()
