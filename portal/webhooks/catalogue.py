"""The webhook event types, and which export change each announces."""

from __future__ import annotations

from enum import StrEnum

from portal.models import ExportStatus


class EventType(StrEnum):
    COMPLETED = "export.completed"
    FAILED = "export.failed"
    EXPIRING = "export.expiring"
    EXPIRED = "export.expired"
    REVOKED = "export.revoked"


# The state an export moved into, and the event that announces it (exports/events.add).
FOR_STATE = {
    ExportStatus.COMPLETED: EventType.COMPLETED,
    ExportStatus.FAILED: EventType.FAILED,
    ExportStatus.EXPIRED: EventType.EXPIRED,
    ExportStatus.REVOKED: EventType.REVOKED,
}

DESCRIPTIONS = {
    EventType.COMPLETED: "An export is ready to download",
    EventType.FAILED: "An export could not be completed",
    EventType.EXPIRING: "A ready export expires within a day",
    EventType.EXPIRED: "An export expired and its zips were deleted",
    EventType.REVOKED: "An admin revoked a ready export",
}
