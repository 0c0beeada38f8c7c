"""The last 30 days of exports in figures: how many, how fast they were ready, how big.

One query fetches the few columns needed and Python does the grouping and the medians, so
the same code runs on SQLite and PostgreSQL (whose date functions and median differ).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import Select

from portal.admin import charts
from portal.exports import states
from portal.extensions import db
from portal.formatting import duration_unit, filesize
from portal.models import Export, utcnow

DAYS = 30
SIZE_UNITS = (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024), ("bytes", 1))


@dataclass(frozen=True)
class DayFigures:
    day: date
    exports: int
    median_seconds: float | None
    bytes: int


@dataclass(frozen=True)
class Summary:
    days: list[DayFigures]
    median_seconds: float | None

    @property
    def total_exports(self) -> int:
        return sum(d.exports for d in self.days)

    @property
    def total_bytes(self) -> int:
        return sum(d.bytes for d in self.days)


def last_days(scope: Select, today: date | None = None, days: int = DAYS) -> Summary:
    """Figures per day of request for `scope` (a SELECT of the exports the admin may see)."""
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    rows = db.session.execute(
        scope.with_only_columns(
            Export.created_at, Export.finished_at, Export.status, Export.byte_size
        ).where(Export.created_at >= datetime.combine(first, time.min))
    )
    counts: dict[date, int] = defaultdict(int)
    seconds: dict[date, list[float]] = defaultdict(list)
    sizes: dict[date, int] = defaultdict(int)
    for created, finished, status, size in rows:
        day = created.date()
        counts[day] += 1
        if status in states.HAD_ZIP and finished is not None:
            seconds[day].append((finished - created).total_seconds())
            sizes[day] += size or 0
    span = [first + timedelta(days=i) for i in range(days)]
    every = [s for day in span for s in seconds[day]]
    return Summary(
        days=[
            DayFigures(day, counts[day], median(seconds[day]) if seconds[day] else None, sizes[day])
            for day in span
        ],
        median_seconds=median(every) if every else None,
    )


def size_unit(largest: int) -> tuple[str, int]:
    """The unit that keeps the size axis's numbers short."""
    return next(((name, size) for name, size in SIZE_UNITS if largest >= size), ("bytes", 1))


def summary_charts(summary: Summary) -> dict[str, charts.Series]:
    """The three charts of the stats page, labelled for people (and screen readers)."""
    labels = [d.day.strftime("%-d %b") for d in summary.days]
    unit, divisor = size_unit(max(d.bytes for d in summary.days))
    times = [d.median_seconds for d in summary.days]
    time_unit, per_unit = duration_unit(max((t for t in times if t is not None), default=0))
    span = f"{labels[0]} to {labels[-1]}"
    return {
        "exports": charts.Series(
            "chart-exports",
            "Exports per day",
            f"Exports requested each day from {span}: {summary.total_exports:,} in all.",
            labels,
            [d.exports for d in summary.days],
            whole_numbers=True,
        ),
        "ready": charts.Series(
            "chart-ready",
            f"Median time to ready ({time_unit})",
            f"Median time from request to ready zip, per day of request, {span}; "
            "days without a ready export have no point.",
            labels,
            [None if t is None else t / per_unit for t in times],
            fmt=lambda v: f"{v:,.10g} {time_unit}",
        ),
        "size": charts.Series(
            "chart-size",
            f"Size of ready zips per day ({unit})",
            f"Total size of the zips made each day from {span}: "
            f"{filesize(summary.total_bytes)} in all.",
            labels,
            [d.bytes / divisor for d in summary.days],
            fmt=lambda v: f"{v:,.10g} {unit}",
        ),
    }
