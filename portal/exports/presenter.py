"""What a person sees of an export: its state in words, progress, ETA and what they may do."""

from __future__ import annotations

from dataclasses import dataclass

from flask_login import current_user

from portal.exports import queues
from portal.exports.service import LIVE, display_status
from portal.models import Export, utcnow

LABELS = {
    "pending": "Queued",
    "processing": "Building PDFs",
    "completed": "Ready",
    "failed": "Failed",
    "expired": "Expired",
    "cancelled": "Cancelled",
    "revoked": "Revoked",
}
# A failed export offers Retry instead: it runs again as the same export.
REORDERABLE = ("expired", "cancelled", "revoked")


@dataclass
class StatusView:
    export: Export
    state: str
    position: int | None = None

    @classmethod
    def of(cls, export: Export, with_position: bool = False) -> StatusView:
        view = cls(export, display_status(export))
        if with_position and view.state == "pending":
            view.position = queue_position(export)
        return view

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def live(self) -> bool:
        return self.state in LIVE

    @property
    def percent(self) -> int:
        total = self.export.total or 1
        return min(100, int(100 * self.export.done / total))

    @property
    def eta(self) -> str:
        """From the rate measured so far in this attempt; honest about not knowing yet."""
        started, done = self.export.started_at, self.export.done
        if not started or done < 1:
            return "estimating time left…"
        elapsed = (utcnow() - started).total_seconds()
        remaining = (self.export.total - done) * elapsed / done
        if remaining < 60:
            return "less than a minute left"
        minutes = round(remaining / 60)
        if minutes < 90:
            return f"about {minutes} minute{'s' if minutes != 1 else ''} left"
        return f"about {remaining / 3600:.1f} hours left"

    @property
    def can_act(self) -> bool:
        return self.export.requested_by_id == current_user.id or current_user.is_admin

    @property
    def can_reorder(self) -> bool:
        return self.state in REORDERABLE and self.can_act


def queue_position(export: Export) -> int | None:
    """Jobs ahead of this one in its lane, when Redis still knows (it is only a cache)."""
    try:
        position = queues.queue(export.queue_name).get_job_position(f"export-{export.public_id}")
    except Exception:  # noqa: BLE001 - Redis down must not break the status page
        return None
    return position
