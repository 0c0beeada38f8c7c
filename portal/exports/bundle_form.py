"""The "Bundle links" form: what was typed, kept to show again with the error, and the
lifetimes a person may pick."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app, request

from portal.exports.options import MAX_NAME_CHARS, MAX_URL_CHARS
from portal.models import Project
from portal.tenancy import get_or_404

# The lifetimes offered, in hours; those past EXPORT_TTL_HOURS are left out.
TTL_CHOICES = (24, 48, 72, 168, 336, 720)
# The most one link's line takes: the longest URL, a tab, the longest name in UTF-8, CRLF.
LINE_BYTES = MAX_URL_CHARS + 1 + 4 * MAX_NAME_CHARS + 2
# A lifetime as the form sends it: ASCII digits only, a few of them.
HOURS = re.compile(r"[0-9]{1,5}")
FORM_BYTES = 64 * 1024  # the name, the other fields and multipart's boundaries
# The routes that take a whole bundle's links in one request.
BUNDLE_ENDPOINTS = {"exports.create_bundle", "api.create_bundle"}


def room_for_links() -> None:
    """Runs before CSRF reads any form: a bundle's request may carry BUNDLE_MAX_URLS of the
    longest links (the form: pasted and again in a CSV), which is more than
    MAX_CONTENT_LENGTH lets any other request send."""
    if request.endpoint not in BUNDLE_ENDPOINTS:
        return
    room = 2 * current_app.config["BUNDLE_MAX_URLS"] * LINE_BYTES + FORM_BYTES
    request.max_content_length = max(room, current_app.config["MAX_CONTENT_LENGTH"])
    request.max_form_memory_size = request.max_content_length


@dataclass(frozen=True)
class BundleForm:
    name: str
    text: str
    project_id: str
    ttl_hours: int | None  # None: the default lifetime

    @classmethod
    def blank(cls) -> BundleForm:
        return cls("", "", "", None)

    @property
    def selected_ttl(self) -> int:
        """The lifetime the form shows picked."""
        return self.ttl_hours or current_app.config["BUNDLE_TTL_HOURS"]

    @classmethod
    def from_request(cls) -> BundleForm:
        """As posted. No lifetime (or a blank one) is the default lifetime, as in the API; a
        lifetime that is not ASCII digits ("٣" is a digit to str.isdecimal and int) is 0,
        which the service refuses, naming the hours a bundle may have."""
        form = request.form
        ttl = form.get("ttl_hours", "").strip()
        ttl_hours = None if not ttl else int(ttl) if HOURS.fullmatch(ttl) else 0
        return cls(form.get("name", ""), form.get("links", ""), form.get("project", ""), ttl_hours)

    @property
    def project(self) -> Project | None:
        """The project it is filed under, one of the user's organisation's (404 otherwise)."""
        return get_or_404(Project, self.project_id) if self.project_id else None


def bundle_ttl_choices() -> list[int]:
    config = current_app.config
    longest = config["EXPORT_TTL_HOURS"]
    offered = {hours for hours in TTL_CHOICES if hours <= longest}
    return sorted(offered | {min(config["BUNDLE_TTL_HOURS"], longest)})
