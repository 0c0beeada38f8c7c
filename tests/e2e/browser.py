"""A Playwright page that notices what a person would not: console errors and CSP violations.

Violations are reported through an exposed binding, so those of every document the test
visited are kept, not only the current one's (a navigation wipes a page's own variables).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const target = e.target && e.target.outerHTML ? " at " + e.target.outerHTML.slice(0, 120) : "";
  window.__reportCsp(e.violatedDirective + " " + e.blockedURI + " on " + e.documentURI +
    " by " + e.sourceFile + ":" + e.columnNumber + target);
});
"""
# The width of an <img> once it has loaded, 0 when it cannot: reading naturalWidth at once
# answers 0 for an image still on its way, which a loaded machine makes likely.
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth, () => 0)"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CONTROLS_OFF_SCREEN = """
Array.from(document.querySelectorAll("a, button, input, select, textarea"))
  .filter((el) => !el.closest("table") && el.getClientRects().length > 0)
  .filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 1 && (box.left < 0 || box.right > window.innerWidth + 0.5);
  })
  .map((el) => el.outerHTML.slice(0, 80))
"""


class WatchedPage:
    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url
        self.console_errors: list[str] = []
        self.violations: list[str] = []
        self.expected: set[tuple[str, int]] = set()
        self.requests: Counter[str] = Counter()
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", lambda r: self.requests.update([r.url.split("?")[0]]))
        page.expose_binding("__reportCsp", lambda _source, text: self.violations.append(text))
        page.add_init_script(CSP_LISTENER)
        page.set_default_timeout(15_000)

    def _console(self, message) -> None:
        if message.type == "error" and not self._expected_failure(message):
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def _expected_failure(self, message) -> bool:
        """Chromium logs every 4xx as an error; a test that asked for one has said so."""
        path = urlsplit(message.location.get("url", "")).path
        return any(
            path == expected_path and f"status of {status}" in message.text
            for expected_path, status in self.expected
        )

    def expect_status(self, path: str, status: int) -> None:
        """The test means to get `status` from `path`: Chromium's console line is not a fault."""
        self.expected.add((path, status))

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.page.goto(f"{self.base_url}/login")
        self.submit_login(email, password)
        self.page.wait_for_url(lambda url: "/login" not in url)

    def visit_as(self, email: str, path: str, viewport: dict) -> None:
        """Log in as `email` in a window of the viewport's size, then open `path`."""
        self.page.set_viewport_size(viewport)
        self.login(email)
        self.page.goto(f"{self.base_url}{path}")

    def submit_login(self, email: str, password: str = PASSWORD) -> None:
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the window (0 when it fits)."""
        return self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    def controls_off_screen(self) -> list[str]:
        """Buttons, links and fields outside the window's width, such as the last buttons of
        a toolbar that scrolls sideways inside a page that does not (tables, which scroll
        in their own frame on purpose, are left out)."""
        return self.page.evaluate(CONTROLS_OFF_SCREEN)

    def assert_clean(self) -> None:
        assert self.violations == [], f"CSP violations: {self.violations}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
