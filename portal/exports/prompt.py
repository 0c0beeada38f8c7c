"""The download prompt on an export's page, for someone who came by the email's link.

The login form may not send them on to the download itself (see auth.session.landing),
so the export's page offers it instead: the file's name and size on a link that
static/js/app.js follows at once. Without JavaScript it is one click away. An export of
several zips lists them, one link each, and starts none: a browser would ask about (or block)
several downloads started at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from portal.exports.parts import PartView
from portal.exports.presenter import StatusView
from portal.exports.states import Action
from portal.models import Export


@dataclass(frozen=True)
class DownloadPrompt:
    url: str
    file_name: str
    byte_size: int
    # Every zip of the export; more than one: the prompt lists them instead of starting one.
    parts: list[PartView]

    @property
    def split(self) -> bool:
        return len(self.parts) > 1


def download_prompt(export: Export, view: StatusView) -> DownloadPrompt | None:
    """None unless the download route would serve this person the zip now (the view asked
    the state machine): a stale link shows the page as it is."""
    if not view.can(Action.DOWNLOAD):
        return None
    return DownloadPrompt(
        url=url_for("exports.download", public_id=export.public_id),
        file_name=view.parts[0].file_name if view.parts else "",
        byte_size=export.byte_size,
        parts=view.parts,
    )
