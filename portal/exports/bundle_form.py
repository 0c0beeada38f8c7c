"""The "Bundle links" form: what was typed, kept to show again with the error, and the
lifetimes a person may pick."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from portal.models import Project
from portal.tenancy import get_or_404

# The lifetimes offered, in hours; those past EXPORT_TTL_HOURS are left out.
TTL_CHOICES = (24, 48, 72, 168, 336, 720)


@dataclass(frozen=True)
class BundleForm:
    name: str
    text: str
    project_id: str
    ttl_hours: int

    @classmethod
    def blank(cls) -> BundleForm:
        return cls("", "", "", current_app.config["BUNDLE_TTL_HOURS"])

    @classmethod
    def from_request(cls) -> BundleForm:
        """As posted; a lifetime that is not a number is 0, which the service refuses."""
        form = request.form
        ttl = form.get("ttl_hours", "")
        ttl_hours = int(ttl) if ttl.isdecimal() and len(ttl) < 6 else 0
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
