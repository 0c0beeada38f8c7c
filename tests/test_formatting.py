"""Durations read as people say them: whole seconds, minutes and hours, never "0.1 min"."""

from __future__ import annotations

import pytest

from portal.formatting import duration, duration_unit


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.2, "under 1 s"),
        (6, "6 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (270, "4 min 30 s"),
        (600, "10 min"),
        (1500, "25 min"),
        (3599, "1 h"),
        (12000, "3 h 20 min"),
        (7200, "2 h"),
        (86400 * 2 + 3600 * 4, "2 d 4 h"),
    ],
)
def test_a_duration_is_written_in_whole_units_people_read(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("largest", "unit"), [(0, "s"), (6, "s"), (119, "s"), (120, "min"), (7199, "min"), (7200, "h")]
)
def test_a_time_axis_takes_the_largest_unit_its_longest_value_reaches_twice(largest, unit):
    assert duration_unit(largest)[0] == unit
