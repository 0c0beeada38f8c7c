"""A bundle's links as people give them: checked, named, repeats dropped, before any row exists.

The portal's textarea and CSV upload and the API's JSON all end here, so a bad link is
refused with the same message wherever it came from, naming where it was (line 3, CSV row
7, link 12) so the person can find it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from flask import current_app

from portal.exports.errors import ExportRequestError
from portal.exports.options import MAX_NAME_CHARS, MAX_URL_CHARS, LinkIn
from portal.outbound.guard import Refused, split

SCHEMES = ("http", "https")
# Never part of a URL or a file name (and a NUL byte would make PostgreSQL refuse the row).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def checked(links: Sequence[LinkIn], places: Sequence[str] | None = None) -> list[LinkIn]:
    """The links, each URL once (the first name given wins), or ExportRequestError naming the
    first bad one by `places[i]` ("Line 3"; "Link 3" by default)."""
    unique: dict[str, LinkIn] = {}
    for index, link in enumerate(links):
        place = places[index] if places else f"Link {index + 1}"
        url, name = link.url.strip(), (link.name or "").strip() or None
        _check_url(url, place)
        if name and len(name) > MAX_NAME_CHARS:
            raise ExportRequestError(
                f"{place}: the name is longer than {MAX_NAME_CHARS} characters."
            )
        if name and CONTROL.search(name):
            raise ExportRequestError(f"{place}: the name has a control character.")
        unique.setdefault(url, LinkIn(url, name))
    limit = current_app.config["BUNDLE_MAX_URLS"]
    if not unique:
        raise ExportRequestError("Add at least one link to bundle.")
    if len(unique) > limit:
        raise ExportRequestError(
            f"{len(unique):,} different links; one bundle can hold at most {limit:,}. "
            "Split them into several bundles."
        )
    return list(unique.values())


def _check_url(url: str, place: str) -> None:
    if len(url) > MAX_URL_CHARS:
        raise ExportRequestError(f"{place}: the URL is longer than {MAX_URL_CHARS:,} characters.")
    if CONTROL.search(url) or " " in url:
        raise ExportRequestError(f"{place}: the URL has a space or a control character in it.")
    try:
        parts, _port = split(url)
        host = parts.hostname
    except Refused as exc:
        raise ExportRequestError(f"{place}: “{url}”: {exc}") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ExportRequestError(f"{place}: “{url}” is not an http:// or https:// URL.")
    if not host:
        raise ExportRequestError(f"{place}: “{url}” has no server name.")


def from_text(text: str) -> tuple[list[LinkIn], list[str]]:
    """One link a line, "URL" or "URL name" (a tab or spaces between); blank lines skipped.
    Returns the links and the line each came from."""
    links, places = [], []
    for number, line in enumerate(text.splitlines(), 1):
        url, *name = line.split(None, 1) or [""]
        if url:
            links.append(LinkIn(url, name[0].strip() if name else None))
            places.append(f"Line {number}")
    return links, places


def from_csv(data: bytes) -> tuple[list[LinkIn], list[str]]:
    """Columns url,name (name optional), with or without a header row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportRequestError("The CSV file must be UTF-8 text.") from None
    links, places = [], []
    reader = csv.reader(io.StringIO(text))
    try:
        for number, row in enumerate(reader, 1):
            cells = [cell.strip() for cell in row] + ["", ""]
            if number == 1 and cells[0].lower() == "url":
                continue
            if cells[0]:
                links.append(LinkIn(cells[0], cells[1] or None))
                places.append(f"CSV row {number}")
    except csv.Error as exc:  # a cell over csv.field_size_limit(), 131,072 characters
        raise ExportRequestError(f"CSV row {reader.line_num} could not be read: {exc}.") from None
    return links, places
