"""What a person sees of an export: its state in words, progress, ETA and what they may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from portal import queues
from portal.exports import states
from portal.exports.failed import Redo
from portal.exports.parts import PartView, parts_of
from portal.exports.states import Action
from portal.extensions import db
from portal.formatting import relative
from portal.models import Export, ExportStatus, utcnow

LABELS = {
    ExportStatus.PENDING: "Queued",
    ExportStatus.PROCESSING: "Building PDFs",
    ExportStatus.COMPLETED: "Ready",
    ExportStatus.FAILED: "Failed",
    ExportStatus.EXPIRED: "Expired",
    ExportStatus.CANCELLED: "Cancelled",
    ExportStatus.REVOKED: "Revoked",
}
BUNDLE_LABELS = {ExportStatus.PROCESSING: "Fetching files"}  # where a bundle's label differs


@dataclass
class StatusView:
    export: Export
    state: ExportStatus
    position: int | None = None
    # The export this one was re-ordered as: its page links there instead of offering Re-order.
    newer: Export | None = None
    actions: list[Action] = field(default_factory=list)
    # What of it failed and can be exported again (failed.redo_of), where a page offers it.
    redo: Redo | None = None

    @classmethod
    def of(
        cls,
        export: Export,
        with_position: bool = False,
        newer: Export | None = None,
        redo: Redo | None = None,
    ) -> StatusView:
        state = states.effective(export)
        role = states.role_of(current_user, export) if current_user.is_authenticated else None
        actions = states.actions_for(state, role)
        view = cls(export, state, newer=newer, actions=actions, redo=redo)
        if with_position and state == ExportStatus.PENDING:
            view.position = queue_position(export)
        return view

    @property
    def poll_seconds(self) -> int:
        """Seconds between a live fragment's polls: 2 while its PDFs are being made or it is
        next in line, 5 while it waits behind others (or for an automatic retry)."""
        if self.state == ExportStatus.PROCESSING or self.position == 0:
            return 2
        return 5

    @property
    def label(self) -> str:
        if self.export.is_bundle and self.state in BUNDLE_LABELS:
            return BUNDLE_LABELS[self.state]
        return LABELS[self.state]

    @cached_property
    def parts(self) -> list[PartView]:
        """The export's zips; read only where a page shows a ready export's downloads."""
        return parts_of(self.export)

    @property
    def split(self) -> bool:
        """Stored as several zips: pages list the parts instead of one download."""
        return len(self.parts) > 1

    @property
    def live(self) -> bool:
        return self.state in states.LIVE

    @property
    def packing(self) -> bool:
        """Every PDF is made (or was already in the render cache): the zip is being assembled."""
        return self.state == ExportStatus.PROCESSING and self.export.done >= self.export.total

    @property
    def percent(self) -> int:
        total = self.export.total or 1
        return min(100, int(100 * self.export.done / total))

    @cached_property
    def eta_seconds(self) -> float | None:
        """Time left: from this attempt's own rate once it has one worth trusting, before that
        from the lane's recent exports (a render pool's start-up would make the first
        record's rate say minutes for a job of seconds); None when there is no way to know."""
        export = self.export
        remaining_records = export.total - export.done
        own, cached = own_rate(export), export.cache_hits or 0
        trusted = own is not None and export.done - cached >= trusted_after(export.total - cached)
        rate = own if trusted else (lane_rate(export.queue_name) or own)
        return remaining_records / rate if rate else None

    @property
    def eta(self) -> str:
        seconds = self.eta_seconds
        return "estimating time left…" if seconds is None else time_left(seconds)

    @property
    def retry_note(self) -> str | None:
        """While an automatic retry waits, in place of "Queued": what went wrong (the row's
        error), when the next try is and which one; None at any other time."""
        export = self.export
        if self.state != ExportStatus.PENDING or export.next_try_at is None:
            return None
        due = export.next_try_at > utcnow()
        when = f"next try {relative(export.next_try_at)}" if due else "next try starting now"
        return f"{export.error}; {when} (attempt {export.next_try_number} of {export.max_tries})."

    def can(self, action: str) -> bool:
        """Whether the page offers `action`; a re-ordered export links to its re-order, and
        one whose failures were exported again to that export."""
        if action == Action.REORDER and self.newer is not None:
            return False
        if action == Action.REDO and (self.redo is None or self.redo.done_as is not None):
            return False
        return Action(action) in self.actions


# Records done before this attempt's own rate replaces the lane's: a tenth, within bounds.
TRUSTED_FRACTION, TRUSTED_MIN, TRUSTED_MAX = 0.1, 3, 50
LANE_SAMPLE = 20


def trusted_after(total: int) -> int:
    return max(TRUSTED_MIN, min(TRUSTED_MAX, int(total * TRUSTED_FRACTION)))


def own_rate(export: Export) -> float | None:
    """Records rendered per second in this attempt so far; those found in the render cache
    count as done from the start and would make the rate look far better than it is."""
    rendered = export.done - (export.cache_hits or 0)
    if not export.started_at or rendered < 1:
        return None
    elapsed = (utcnow() - export.started_at).total_seconds()
    return rendered / elapsed if elapsed > 0 else None


def lane_rate(lane: str) -> float | None:
    """Records rendered per second over the lane's last few delivered exports, start-up
    included (records they found in the render cache cost them next to nothing)."""
    rows = db.session.execute(
        select(Export.total - Export.cache_hits, Export.started_at, Export.finished_at)
        .where(
            Export.queue_name == lane,
            Export.status.in_(states.HAD_ZIP),
            Export.started_at.is_not(None),
            Export.finished_at.is_not(None),
        )
        .order_by(Export.finished_at.desc())
        .limit(LANE_SAMPLE)
    ).all()
    records = sum(total for total, _, _ in rows)
    seconds = sum((finished - started).total_seconds() for _, started, finished in rows)
    return records / seconds if records and seconds > 0 else None


def time_left(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''} left"
    return f"about {seconds / 3600:.1f} hours left"


def queue_position(export: Export) -> int | None:
    """Jobs ahead of this one in its lane, when Redis still knows (it is only a cache)."""
    try:
        position = queues.queue(export.queue_name).get_job_position(queues.job_id(export))
    except RedisError:  # Redis down must not break the status page
        return None
    return position
