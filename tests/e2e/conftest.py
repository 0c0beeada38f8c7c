"""Browser tests: the test's app served over HTTP on 127.0.0.1, driven by Debian's Chromium.

`page` comes from pytest-playwright (launched with Debian's binary, see tests/conftest.py).
`watched` wraps it: it collects console errors and CSP violations, counts requests by path,
and saves screenshots under test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.servers import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  (window.__csp = window.__csp || []).push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def live_server(app):
    with serving(app) as url:
        yield url


class WatchedPage:
    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url
        self.console_errors: list[str] = []
        self.requests: Counter[str] = Counter()
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", lambda r: self.requests.update([r.url.split("?")[0]]))
        page.add_init_script(CSP_LISTENER)
        page.set_default_timeout(15_000)

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.page.goto(f"{self.base_url}/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(lambda url: "/login" not in url)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__csp || []")

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.csp_violations() == []


@pytest.fixture
def watched(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    return WatchedPage(page, live_server)
