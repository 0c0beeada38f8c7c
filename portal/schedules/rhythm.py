"""When a schedule runs: an RFC 5545 RRULE (python-dateutil) read on the wall clock of an IANA
time zone, so "every Friday 17:00, Europe/London" is 17:00 in London in winter and in summer.

Occurrences are computed on naive local times and only then placed in the zone: a rule over
aware times would keep the UTC offset of its start and drift an hour at each change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrule, rrulestr

# Rules more often than hourly would be an export storm, not a rhythm.
ALLOWED_FREQUENCIES = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# The first Monday of the month, every Friday at five: the examples the form offers.
PRESETS = {
    "Every Friday 17:00": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0",
    "Every weekday 07:00": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=0",
    "First Monday of the month 08:00": "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8;BYMINUTE=0",
}


class RhythmError(ValueError):
    """A rule or zone that cannot be used; the message says which and why."""


def zone(name: str) -> ZoneInfo:
    if name not in available_timezones():
        raise RhythmError(f"“{name[:64]}” is not a time zone such as Europe/London.")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise RhythmError(f"“{name[:64]}” is not a time zone such as Europe/London.") from None


def parse(text: str, start_local: datetime) -> rrule:
    """The rule, on naive local times from `start_local`; refused: COUNT/UNTIL-less nonsense,
    sub-hourly frequencies, and anything dateutil cannot read."""
    text = text.strip().removeprefix("RRULE:")
    try:
        rule = rrulestr(text, dtstart=start_local.replace(second=0, microsecond=0, tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise RhythmError(f"The rhythm could not be read: {exc}.") from None
    frequency = dict(part.split("=", 1) for part in text.split(";") if "=" in part).get("FREQ")
    if frequency not in ALLOWED_FREQUENCIES:
        raise RhythmError("A schedule runs at most hourly (FREQ=HOURLY, DAILY, WEEKLY, ...).")
    return rule


def next_after(text: str, zone_name: str, start_utc: datetime, after_utc: datetime):
    """The first occurrence strictly after `after_utc`, as naive UTC; None when the rule has
    ended. A wall time skipped by a spring-forward change runs at the instant it maps to."""
    tz = zone(zone_name)
    start_local = start_utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    after_local = after_utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    local = parse(text, start_local).after(after_local)
    while local is not None:
        moment = local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
        if moment > after_utc:
            return moment
        local = parse(text, start_local).after(local)
    return None


def local_day(zone_name: str, moment_utc: datetime) -> str:
    """The date a run is named after, as the schedule's zone reads it."""
    return moment_utc.replace(tzinfo=UTC).astimezone(zone(zone_name)).date().isoformat()
