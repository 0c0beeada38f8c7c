"""Jinja filters that turn stored values into words people read."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from portal.models import utcnow
from portal.vocabulary import PDF_CHOICES, SIGN_CHOICES, pdf_label, sign_label


def filesize(num: int | None) -> str:
    if num is None:
        return "—"
    size = float(num)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def when(value: datetime | None) -> str:
    return value.strftime("%-d %b %Y, %H:%M UTC") if value else "—"


def day(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else "—"


def relative(value: datetime | None) -> str:
    """'in 7 days', 'in 3 hours', '5 minutes ago': for expiry and timelines.

    Rounded to the nearest unit, so a 7-day link read a minute later still says 7 days."""
    if value is None:
        return "—"
    seconds = (value - utcnow()).total_seconds()
    span, suffix = abs(seconds), ("in {}" if seconds >= 0 else "{} ago")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if span >= size * 0.95:
            n = max(1, round(span / size))
            return suffix.format(f"{n} {unit}{'' if n == 1 else 's'}")
    return "just now" if seconds < 0 else "in under a minute"


# A duration's units, largest first, for a chart's axis (see duration_unit).
DURATION_UNITS = (("h", 3600), ("min", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """'42 s', '4 min 30 s', '25 min', '3 h 20 min', '2 d 4 h': as people say a time, in
    whole units, two at most, the second only where it still matters."""
    if seconds is None:
        return "—"
    if seconds < 0.5:
        return "under 1 s"
    if seconds < 59.5:
        return f"{round(seconds)} s"
    if seconds < 599.5:
        return pair(*divmod(round(seconds), 60), "min", "s")
    if seconds < 3570:
        return f"{round(seconds / 60)} min"
    if seconds < 86370:
        return pair(*divmod(round(seconds / 60), 60), "h", "min")
    return pair(*divmod(round(seconds / 3600), 24), "d", "h")


def pair(big: int, small: int, big_unit: str, small_unit: str) -> str:
    return f"{big} {big_unit} {small} {small_unit}" if small else f"{big} {big_unit}"


def duration_unit(largest_seconds: float) -> tuple[str, int]:
    """The unit of a chart's time axis: the largest that its longest value reaches twice,
    so the axis reads 0–90 s or 0–4 h, never 0.1 min."""
    return next(
        ((name, size) for name, size in DURATION_UNITS if largest_seconds >= 2 * size), ("s", 1)
    )


def register(app: Flask) -> None:
    app.add_template_filter(filesize)
    app.add_template_filter(pdf_label)
    app.add_template_global(PDF_CHOICES, "pdf_choices")
    app.add_template_filter(sign_label)
    app.add_template_global(SIGN_CHOICES, "sign_choices")
    app.add_template_filter(when)
    app.add_template_filter(day)
    app.add_template_filter(relative)
    app.add_template_filter(duration)
