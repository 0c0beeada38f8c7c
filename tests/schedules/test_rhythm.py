"""The rhythm alone: RRULEs on a zone's wall clock, across daylight-saving changes."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.schedules import rhythm

FRIDAY_FIVE = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0"


def runs(rule: str, zone: str, start: datetime, count: int) -> list[datetime]:
    found, after = [], start
    for _ in range(count):
        after = rhythm.next_after(rule, zone, start, after)
        found.append(after)
    return found


def test_friday_five_pm_in_london_stays_five_pm_across_the_autumn_change():
    # British Summer Time ends on Sunday 25 October 2026: 16:00 UTC before, 17:00 UTC after.
    start = datetime(2026, 10, 12, 9, 0)
    assert runs(FRIDAY_FIVE, "Europe/London", start, 3) == [
        datetime(2026, 10, 16, 16, 0),
        datetime(2026, 10, 23, 16, 0),
        datetime(2026, 10, 30, 17, 0),
    ]


def test_and_across_the_spring_change():
    # BST begins on Sunday 29 March 2026.
    start = datetime(2026, 3, 23, 9, 0)
    assert runs(FRIDAY_FIVE, "Europe/London", start, 2) == [
        datetime(2026, 3, 27, 17, 0),
        datetime(2026, 4, 3, 16, 0),
    ]


def test_the_first_monday_of_the_month():
    rule = rhythm.PRESETS["First Monday of the month 08:00"]
    assert runs(rule, "Europe/Paris", datetime(2026, 12, 7, 12, 0), 2) == [
        datetime(2027, 1, 4, 7, 0),
        datetime(2027, 2, 1, 7, 0),
    ]


@pytest.mark.parametrize(
    ("rule", "zone"),
    [
        ("FREQ=MINUTELY", "Europe/London"),
        ("FREQ=WEEKLY;BYDAY=XX", "Europe/London"),
        ("not a rule", "Europe/London"),
        (FRIDAY_FIVE, "Mars/Olympus_Mons"),
        (FRIDAY_FIVE, "../../etc/passwd"),
    ],
)
def test_a_rule_or_zone_that_cannot_be_used_is_refused(rule, zone):
    with pytest.raises(rhythm.RhythmError):
        rhythm.next_after(rule, zone, datetime(2026, 1, 1), datetime(2026, 1, 1))
