"""Jinja filters that turn stored values into words people read."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from portal.models import utcnow


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


def register(app: Flask) -> None:
    app.add_template_filter(filesize)
    app.add_template_filter(when)
    app.add_template_filter(day)
    app.add_template_filter(relative)
