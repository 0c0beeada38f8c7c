"""How an export is named and counted wherever it is shown: pages, emails, the admin console.

Presentation, so it is not on the model. It reads `kind`, `options`, `project` (with a
`name`), `total` and `files`, which a row and the status poll's lean row (poll.ExportRow) both
have; the failure counts also read `warnings` and `files_failed` (terminal states, which
render from the ORM row). Templates read it through the filters `register` installs.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from flask import Flask


class Shown(Protocol):
    is_bundle: bool
    options: dict | None
    project: Any
    total: int
    files: int


class Ended(Shown, Protocol):
    warnings: int
    files_failed: int


def title(export: Shown) -> str:
    """What pages, emails, the admin and its zip call it: the name it was given (a records
    export's title, a bundle's name); an export from before titles, its project's name."""
    if name := (export.options or {}).get("name"):
        return name
    return "Link bundle" if export.is_bundle else where(export)


def where(export: Shown) -> str:
    """A records export's project, or "All projects" for one across projects."""
    return export.project.name if export.project else "All projects"


def default_title(project: str, records: int, day: date) -> str:
    """A records export's title when none is typed: "Tower A — 146 records — 7 Dec 2026"."""
    return f"{project} — {counted(records, 'record')} — {day.day} {day:%b %Y}"


def records(export: Shown) -> int:
    """Its records (each a PDF); the rest of `total` are links (each a file)."""
    return export.total - export.files


def records_failed(export: Ended) -> int:
    return export.warnings - export.files_failed


def counted(number: int, noun: str) -> str:
    """ "1 record", "3,000 files"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def count_label(export: Shown) -> str:
    """Its items, counted, records and files apart: "1 record", "22 records and 2 files"."""
    counts = [(records(export), "record"), (export.files, "file")]
    return " and ".join(counted(n, noun) for n, noun in counts if n) or counted(0, "record")


def records_failed_label(export: Ended) -> str | None:
    """ "1 of 22 records could not be rendered", or None when none failed."""
    if not (failed := records_failed(export)):
        return None
    return f"{failed:,} of {counted(records(export), 'record')} could not be rendered"


def links_failed_label(export: Ended) -> str | None:
    """ "2 of 5 links could not be fetched", or None when none failed."""
    if not export.files_failed:
        return None
    return f"{export.files_failed:,} of {counted(export.files, 'link')} could not be fetched"


def register(app: Flask) -> None:
    app.add_template_filter(title, "export_title")
    app.add_template_filter(where, "export_where")
    app.add_template_filter(records, "export_records")
    app.add_template_filter(count_label)
    app.add_template_filter(records_failed_label)
    app.add_template_filter(links_failed_label)
