"""An API key that reaches a log line is masked; the rest of the line is kept."""

from __future__ import annotations

import logging

from portal.redaction import mask
from tests import factories


def test_a_key_in_an_app_log_line_is_masked(app, world, caplog):
    secret = factories.api_key(world.member_a)
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        app.logger.warning("client sent %s in a record title", secret)
    assert secret not in caplog.text
    assert f"client sent {secret[:15]}…[redacted] in a record title" in caplog.text


def test_text_without_a_key_is_left_alone():
    assert mask("sp_short and sp_ are not keys") == "sp_short and sp_ are not keys"
    assert mask("x" + "sp_" + "a" * 43 + "y").startswith("xsp_aaaaaaaaaaaa…[redacted]")
