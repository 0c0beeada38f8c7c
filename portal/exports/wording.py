"""How an export is named and counted wherever it is shown: pages, emails, the admin console.

Presentation, so it is not on the model. It reads `kind`, `options`, `project` (with a
`name`) and `total`, which a row and the status poll's lean row (poll.ExportRow) both have;
templates read it through the filters `register` installs.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask


class Shown(Protocol):
    is_bundle: bool
    options: dict | None
    project: Any
    total: int


def title(export: Shown) -> str:
    """What pages, emails and the admin call it: a bundle's name, else its project's."""
    if export.is_bundle:
        return (export.options or {}).get("name") or "Link bundle"
    return export.project.name


def noun(export: Shown) -> str:
    """What one of its items is called: a bundle holds files, an export records."""
    return "file" if export.is_bundle else "record"


def count_label(export: Shown) -> str:
    """Its items, counted: "1 record", "3,000 files"."""
    return f"{export.total:,} {noun(export)}{'s' if export.total != 1 else ''}"


def register(app: Flask) -> None:
    app.add_template_filter(title, "export_title")
    app.add_template_filter(noun, "export_noun")
    app.add_template_filter(count_label)
