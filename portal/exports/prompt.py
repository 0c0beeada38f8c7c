"""The download prompt on an export's page, for someone who came by the email's link.

The login form may not send them on to the download itself (see auth.session.landing),
so the export's page offers it instead: the file's name and size on a link that
static/js/app.js follows at once. Without JavaScript it is one click away.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from flask import url_for

from portal.exports.presenter import StatusView
from portal.exports.states import Action
from portal.models import Export


@dataclass(frozen=True)
class DownloadPrompt:
    url: str
    file_name: str
    byte_size: int


def download_prompt(export: Export, view: StatusView) -> DownloadPrompt | None:
    """None unless the download route would serve this person the zip now (the view asked
    the state machine): a stale link shows the page as it is."""
    if not view.can(Action.DOWNLOAD):
        return None
    return DownloadPrompt(
        url=url_for("exports.download", public_id=export.public_id),
        # The worker names the object after the file (jobs/upload.object_key), and S3
        # serves it with that name.
        file_name=PurePosixPath(export.object_key).name,
        byte_size=export.byte_size,
    )
