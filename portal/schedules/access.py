"""Who sees a schedule: its owner, and their organisation's admins; anyone else gets 404,
from the page and from the API alike."""

from __future__ import annotations

from sqlalchemy import Select

from portal.models import Schedule
from portal.tenancy import own_or_404, visible_to_user


def visible_schedules() -> Select:
    return visible_to_user(Schedule, Schedule.owner_id).order_by(Schedule.name, Schedule.id)


def schedule_or_404(public_id: str) -> Schedule:
    return own_or_404(Schedule, public_id, "owner_id")
