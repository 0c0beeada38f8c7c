"""Scheduled exports: a saved filter on a project, a rhythm, and who gets each run."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import PublicIdMixin, utcnow
from portal.models.lengths import RRULE_MAX, SCHEDULE_NAME_MAX, TIMEZONE_MAX

if TYPE_CHECKING:
    from portal.models.records import Project
    from portal.models.tenancy import User


class Schedule(PublicIdMixin, db.Model):
    """One rhythm of exports. `next_run_at` is the truth of when it runs next: a scheduler
    claims a run by moving it forward in a guarded UPDATE, so of any number of schedulers one
    alone runs each due time, and a run missed while none was up runs once, not once per
    missed time."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_due", "paused", "next_run_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(SCHEDULE_NAME_MAX))
    # The records page's filter, as its query arguments (records.filters.RecordFilter).
    filter_args: Mapped[dict] = mapped_column(JSON, default=dict)
    # RFC 5545 recurrence rule, read in `timezone`'s wall clock: "FREQ=WEEKLY;BYDAY=FR;
    # BYHOUR=17;BYMINUTE=0" stays at 17:00 local across daylight-saving changes.
    rrule: Mapped[str] = mapped_column(String(RRULE_MAX))
    timezone: Mapped[str] = mapped_column(String(TIMEZONE_MAX))
    # Addresses (members or not) that get a share link of each run's export, as in a share.
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    # The run whose links went out: a scheduler claims the sending by setting it.
    delivered_export_id: Mapped[int | None] = mapped_column(ForeignKey("exports.id"))
    # Export only the records changed since the previous run.
    only_changed: Mapped[bool] = mapped_column(default=False)
    paused: Mapped[bool] = mapped_column(default=False)
    next_run_at: Mapped[datetime | None]
    # When the latest run was claimed: the "changed since" boundary of the next one.
    last_run_at: Mapped[datetime | None]
    last_export_id: Mapped[int | None] = mapped_column(ForeignKey("exports.id"))
    # Runs claimed so far: each claim adds one, so a claim is fenced by the number it saw.
    runs: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship()
    owner: Mapped[User] = relationship()
