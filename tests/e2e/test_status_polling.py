"""The status poll in a real browser: 304s leave the fragment alone, a change is shown, the
terminal state stops the polling, and a hidden tab sends no poll until it is shown again."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.models import Export, ExportStatus, utcnow
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides() -> dict:
    """No refresh for the clock's sake while the test watches for 304s."""
    return {"STATUS_REFRESH_SECONDS": 3600}


# Playwright cannot hide a tab of a headless browser; the page's script reads
# document.visibilityState, so the test overrides it and fires the event a browser would.
SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => state !== "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""
MARK_FRAGMENT = "() => { window.__fragment = document.querySelector('#export-status'); }"
SAME_FRAGMENT = "() => window.__fragment === document.querySelector('#export-status')"


def change(export: Export, **values) -> None:
    db.session.execute(update(Export).where(Export.id == export.id).values(**values))
    db.session.commit()


class Answers:
    """The status codes of the page's status polls, in order."""

    def __init__(self, page, url: str):
        self.page, self.codes = page, []
        page.on("response", lambda r: self.codes.append(r.status) if r.url == url else None)

    def wait_for(self, status: int, count: int = 1, timeout: float = 20) -> None:
        """Playwright delivers events while it is called: the wait is the page's own."""
        start = len(self.codes)
        for _ in range(int(timeout * 10)):
            if self.codes[start:].count(status) >= count:
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no {count} × {status} within {timeout} s: {self.codes[start:]}")


def watch_an_export(world, watched, done: int) -> tuple[Export, Answers]:
    """The member's page of their export, building its PDFs, after its first poll."""
    export = factories.export_in(
        ExportStatus.PROCESSING, world.member_a, world.project_a, done=done, started_at=utcnow()
    )
    db.session.commit()
    url = f"{watched.base_url}/exports/{export.public_id}"
    answers = Answers(watched.page, f"{url}/status")
    watched.login("member@acme.test")
    watched.page.goto(url)
    answers.wait_for(200)  # the page's own render carries no tag: the first poll gets one
    settled(watched.page)
    return export, answers


def settled(page) -> None:
    """The fragment a poll brought, swapped in and settled, no poll of it under way."""
    page.locator(
        "#export-status[data-etag]:not(.htmx-settling):not(.htmx-swapping):not(.htmx-request)"
    ).wait_for()


def test_status_keeps_updating_through_304s_and_stops_at_the_end(world, watched):
    export, answers = watch_an_export(world, watched, done=137)
    page = watched.page
    page.evaluate(MARK_FRAGMENT)
    answers.wait_for(304, count=2)
    assert page.evaluate(SAME_FRAGMENT), "a 304 replaced the fragment"
    assert "137 of 500" in page.inner_text("#export-status")

    change(export, done=250)
    page.locator("#export-status", has_text="250 of 500").wait_for()
    assert not page.evaluate(SAME_FRAGMENT)
    settled(page)
    page.evaluate(MARK_FRAGMENT)
    answers.wait_for(304)
    assert page.evaluate(SAME_FRAGMENT)

    change(export, status=ExportStatus.FAILED, error="The render pool stopped.")
    page.locator("#export-status", has_text="could not be completed").wait_for()
    assert page.get_attribute("#export-status", "hx-trigger") is None
    polls = len(answers.codes)
    page.wait_for_timeout(4500)  # an observation window: no poll may happen in it
    assert len(answers.codes) == polls


def test_a_hidden_tab_stops_polling_and_resumes_when_shown(world, watched):
    export, answers = watch_an_export(world, watched, done=10)
    page = watched.page
    page.evaluate(SET_VISIBILITY, "hidden")
    settled(page)  # a poll already under way has landed
    polls = len(answers.codes)
    change(export, done=60)
    page.wait_for_timeout(5000)  # 2 s polls: two or three would have gone out
    assert len(answers.codes) == polls, "a hidden tab kept polling"
    assert "10 of 500" in page.inner_text("#export-status")

    page.evaluate(SET_VISIBILITY, "visible")
    # One poll at once (not at the next 2 s tick), then the usual rhythm.
    page.locator("#export-status", has_text="60 of 500").wait_for(timeout=1500)
    answers.wait_for(304)
