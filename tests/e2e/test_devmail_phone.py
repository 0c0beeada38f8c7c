"""/dev/mail as `make run` serves it, in Chromium at 1366 px and on a 390 px phone: the list and
a mail fit the window's width (long subjects and addresses wrap instead)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import DESKTOP, PHONE
from tests.infra.test_devmail import drop_mail

pytestmark = pytest.mark.browser
SUBJECT = "Your export of 24 records from Harbour View Tower (HVT-2026) is ready to download"
RECIPIENTS = "member@acme.test, site-manager.harbour-view@acme-construction-group.test"
TEXT = (
    "Your export is ready: 24 records, 18.4 MB.\n"
    "Download it: http://127.0.0.1:5000/exports/exp_abc123def456ghi789/download?part=1\n"
)


@pytest.fixture
def sitepack_env(sitepack_env):
    return {**sitepack_env, "SITEPACK_ENV": "development"}


@pytest.fixture
def app_overrides(tmp_path):
    return {"DEV_MAIL_DIR": str(tmp_path / "mail")}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_dev_mail_fits_the_window_on_a_phone_and_a_desktop(app, world, watched, viewport):
    drop_mail(Path(app.config["DEV_MAIL_DIR"]), "ready", SUBJECT, text=TEXT, to=RECIPIENTS)
    page = watched.page
    watched.visit_as("admin@acme.test", "/dev/mail", viewport)
    watched.screenshot(f"dev-mail-{viewport['width']}")
    assert watched.horizontal_overflow() == 0
    page.click(f"text={SUBJECT}")
    page.locator(".mail-text").wait_for()
    watched.screenshot(f"dev-mail-show-{viewport['width']}")
    assert watched.horizontal_overflow() == 0
