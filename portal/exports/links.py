"""A bundle's links as people give them: checked, named, repeats dropped, before any row exists.

The portal's textarea and CSV upload and the API's JSON all end here, so a bad link is
refused with the same message wherever it came from, naming where it was (line 3, CSV row
7, link 12) so the person can find it.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from flask import current_app, g

from portal.exports.errors import ExportRequestError
from portal.exports.options import MAX_NAME_CHARS, MAX_URL_CHARS, LinkIn
from portal.outbound.download import rules_for
from portal.outbound.guard import Refused, split, vet

SCHEMES = ("http", "https")
LOOKUPS_AT_ONCE = 16  # servers of one request resolved at a time
# Never part of a URL or a file name (and a NUL byte would make PostgreSQL refuse the row).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def checked(links: Sequence[LinkIn], places: Sequence[str] | None = None) -> list[LinkIn]:
    """The links, each URL once (the first name given wins), or ExportRequestError naming
    every bad one by `places[i]` ("Line 3"; "Link 3" by default): its spelling, then what
    the outbound guard says of where it leads (the fetcher asks the guard again, as DNS may
    have changed by then)."""
    where = list(places) if places else [f"Link {n + 1}" for n in range(len(links))]
    unique: dict[str, tuple[int, LinkIn]] = {}
    problems: list[tuple[int, str]] = []
    for index, link in enumerate(links):
        url, name = link.url.strip(), (link.name or "").strip() or None
        problem = _url_problem(url) or _name_problem(name)
        if problem:
            problems.append((index, problem))
        elif url not in unique:
            unique[url] = (index, LinkIn(url, name))
    _check_count(len(unique) + len(problems))
    problems += [(unique[url][0], why) for url, why in _refusals(list(unique)).items()]
    if problems:
        lines = [f"{where[index]}: {problem}" for index, problem in sorted(problems)]
        raise ExportRequestError(_listed(lines, len(links)))
    return [link for _, link in unique.values()]


def _check_count(count: int) -> None:
    limit = current_app.config["BUNDLE_MAX_URLS"]
    if not count:
        raise ExportRequestError("Add at least one link to bundle.")
    if count > limit:
        raise ExportRequestError(
            f"{count:,} different links; one bundle can hold at most {limit:,}. "
            "Split them into several bundles."
        )


def _listed(problems: list[str], asked: int) -> str:
    """One line per bad link, in the order they were given."""
    if len(problems) == 1:
        return problems[0]
    return "\n".join([f"{len(problems):,} of the {asked:,} links can't be used:", *problems])


def _refusals(urls: list[str]) -> dict[str, str]:
    """Why the guard refuses each URL it refuses: its scheme, user name, host and resolved
    addresses. A server is vetted once per request, however many of its files are listed
    and however often they are checked (the view, then the service); LOOKUPS_AT_ONCE
    servers are resolved at a time, so a list of many servers is not a queue of lookups."""
    policy = rules_for(current_app.config).policy
    verdicts: dict[tuple[str, str], str | None] = g.setdefault("link_verdicts", {})
    first_url = {}
    for url in urls:
        first_url.setdefault(_server(url), url)
    todo = [server for server in first_url if server not in verdicts]
    with ThreadPoolExecutor(min(LOOKUPS_AT_ONCE, len(todo) or 1)) as pool:
        found = pool.map(lambda server: _verdict(first_url[server], policy), todo)
        verdicts.update(zip(todo, found, strict=True))
    return {
        url: f"“{url}” can't be fetched: {verdicts[_server(url)]}"
        for url in urls
        if verdicts[_server(url)]
    }


def _server(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _verdict(url: str, policy) -> str | None:
    """A person waits for this answer: each lookup gets the policy's connect timeout, not
    the fetcher's whole deadline."""
    try:
        vet(url, policy, time.monotonic() + policy.connect_timeout)
    except Refused as exc:
        return str(exc)
    return None


def _name_problem(name: str | None) -> str | None:
    if name and len(name) > MAX_NAME_CHARS:
        return f"the name is longer than {MAX_NAME_CHARS} characters."
    if name and CONTROL.search(name):
        return "the name has a control character."
    return None


def _url_problem(url: str) -> str | None:
    if len(url) > MAX_URL_CHARS:
        return f"the URL is longer than {MAX_URL_CHARS:,} characters."
    if CONTROL.search(url) or " " in url:
        return "the URL has a space or a control character in it."
    try:
        parts, _port = split(url)
        host = parts.hostname
    except Refused as exc:
        return f"“{url}”: {exc}"
    if parts.scheme.lower() not in SCHEMES:
        return f"“{url}” is not an http:// or https:// URL."
    if not host:
        return f"“{url}” has no server name."
    return None


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
