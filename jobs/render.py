"""One record becomes one PDF; a pool renders many of them with bounded memory.

Rendering runs in worker processes, so everything a render needs travels in a plain,
picklable snapshot dict: no database session, no app context, no network. Record text is
user input, so the template autoescapes it and the URL fetcher serves only the snapshot's
own photos: a record can never make the renderer read a file or open a connection.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import multiprocessing
import os
import re
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from PIL import Image
from sqlalchemy.orm import object_session
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from portal.imaging import strict_decoding
from portal.models import Attachment, Organization, Record

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAPER_SIZES = ("A4", "Letter")
KIND_LABELS = {"inspection": "Inspection", "issue": "Issue", "task": "Task", "ncr": "NCR"}
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "closed": "Closed"}
PHOTO_URL = re.compile(r"photo:(\d{1,4})")


class RenderError(Exception):
    """A record that cannot be rendered: the export lists it in ERRORS.txt and carries on."""


class SnapshotFetcher(URLFetcher):
    """Serves `photo:<index>` from the snapshot's bytes and refuses every other URL.

    Refusals are fatal (`fail_on_errors`): WeasyPrint's default is to log and leave a hole,
    which would hide both a template bug and an attempt to reach the network or the disk.
    """

    def __init__(self, photos: list[tuple[bytes, str]]):
        super().__init__(allowed_protocols=("photo",), fail_on_errors=True)
        self._photos = photos

    def fetch(self, url, headers=None):
        match = PHOTO_URL.fullmatch(url)
        if not match or int(match[1]) >= len(self._photos):
            raise ValueError(f"refused to fetch {url[:200]!r}: a PDF shows only its own photos")
        data, mime_type = self._photos[int(match[1])]
        return URLFetcherResponse(url, body=data, headers={"Content-Type": mime_type})


def snapshot_from_record(
    record: Record, photos: list[tuple[Attachment, bytes]], exported_at: datetime, paper: str
) -> dict:
    """Copies what a PDF shows into plain data, while the record's session is still open."""
    project = record.project
    organization = object_session(record).get(Organization, record.organization_id)
    return {
        **{name: getattr(record, name) for name in _RECORD_FIELDS},
        "project": {"name": project.name, "code": project.code, "address": project.address},
        "organization": organization.name,
        "checklist": [
            {"label": item.label, "result": item.result, "comment": item.comment}
            for item in record.checklist
        ],
        "photos": [
            {"caption": attachment.caption, "filename": attachment.filename, "data": data}
            for attachment, data in photos
        ],
        "exported_at": exported_at,
        "paper": _checked_paper(paper),
    }


_RECORD_FIELDS = (
    "reference", "kind", "title", "status", "location", "trade", "assignee",
    "due_date", "created_at", "updated_at", "version", "description",
)  # fmt: skip


def render_pdf(snapshot: dict) -> bytes:
    """Raises RenderError, naming the photo, when a photo is not a decodable image."""
    engine = _engine()
    paper = _checked_paper(snapshot["paper"])
    photos = [_checked_photo(index, photo) for index, photo in enumerate(snapshot["photos"])]
    html = engine.template.render(r=snapshot, photos=_photo_views(snapshot["photos"]))
    document = HTML(string=html, url_fetcher=SnapshotFetcher(photos))
    try:
        return document.write_pdf(
            stylesheets=[engine.css, engine.paper_css[paper]], font_config=engine.fonts
        )
    except FatalURLFetchingError as exc:
        raise RenderError(f"{exc}: {exc.__cause__}") from exc


def _checked_paper(paper: str) -> str:
    if paper not in PAPER_SIZES:
        raise RenderError(f"unknown paper size {paper!r}: expected one of {PAPER_SIZES}")
    return paper


def _checked_photo(index: int, photo: dict) -> tuple[bytes, str]:
    """Decodes every photo before rendering, since WeasyPrint would skip a broken one silently.

    `draft` lets libjpeg decode at 1/8 scale: the whole stream is still read, so truncation
    is caught, at a fraction of a full decode's cost.
    """
    data = photo["data"]
    try:
        with strict_decoding(), Image.open(BytesIO(data)) as image:
            image.verify()
        with strict_decoding(), Image.open(BytesIO(data)) as image:
            mime_type = Image.MIME.get(image.format, "application/octet-stream")
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception as exc:
        name = photo.get("filename") or "unnamed"
        raise RenderError(f"photo {index + 1} ({name}) is not a readable image: {exc}") from exc
    return data, mime_type


def _photo_views(photos: list[dict]) -> list[dict]:
    return [
        {"index": index, "caption": photo.get("caption") or "", "filename": photo["filename"]}
        for index, photo in enumerate(photos)
    ]


class _Engine(NamedTuple):
    template: Template
    css: CSS
    paper_css: dict[str, CSS]
    # One per process: WeasyPrint's default, a new one per document, leaks ~0.25 MB a render
    # (measured: 122 → 223 MB over 400 records), so a 10,000-record export would swell the pool.
    fonts: FontConfiguration


@functools.cache
def _engine() -> _Engine:
    """Template and stylesheets parsed once per process, then reused for every record."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined
    )
    env.filters.update(
        utc=_format_utc, day=_format_day, css_token=_css_token,
        kind_label=lambda kind: KIND_LABELS.get(kind, str(kind).title()),
        status_label=lambda status: STATUS_LABELS.get(status, str(status)),
    )  # fmt: skip
    refuse_all = SnapshotFetcher([])
    css = CSS(filename=str(TEMPLATES / "pdf" / "record.css"), url_fetcher=refuse_all)
    paper_css = {size: CSS(string=f"@page {{ size: {size} }}") for size in PAPER_SIZES}
    return _Engine(env.get_template("pdf/record.html"), css, paper_css, FontConfiguration())


def _format_utc(value: datetime | None) -> str:
    """Stored times are naive UTC; aware ones are converted so the label stays true."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _format_day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _css_token(value: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", str(value).lower())


PR_SET_PDEATHSIG = 1


def _init_worker(parent_pid: int) -> None:
    """Pays the one-off costs (template, CSS, fontconfig) once per long-lived worker."""
    _die_with(parent_pid)
    engine = _engine()
    HTML(string="<p>Sitepack</p>").write_pdf(stylesheets=[engine.css])


def _die_with(parent_pid: int) -> None:
    """A render process must not outlive its job: when RQ kills a work-horse (timeout, OOM,
    a stop), its pool would otherwise linger forever, ~150 MB each, waiting on a queue that
    no one will ever write to. Linux delivers SIGKILL to us when the parent dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _render_or_error(snapshot: dict) -> bytes | RenderError:
    """Returns a record's failure instead of raising it, so a raise means the pool broke.

    Every failure is reduced to a RenderError with a message, because arbitrary library
    exceptions do not always survive pickling back to the parent.
    """
    try:
        return render_pdf(snapshot)
    except RenderError as exc:
        return RenderError(str(exc))
    except Exception as exc:
        return RenderError(f"{type(exc).__name__}: {exc}")


class RenderPool:
    """Long-lived render workers fed through a bounded window, one pool per export job.

    At most `window` snapshots (photos included) are in flight at once, and the input is
    pulled only as results are consumed, so the job's memory does not grow with the export.
    `fork` starts workers instantly with WeasyPrint already imported; enter the pool before
    starting threads of your own.
    """

    def __init__(self, workers: int | None = None, window: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self.window = window or 2 * self.workers
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> RenderPool:
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )
        return self

    def __exit__(self, *exc_info) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None

    def render_all(self, snapshots: Iterable[dict]) -> Iterator[tuple[dict, bytes | Exception]]:
        """Yields (snapshot, pdf bytes or the record's exception) in input order.

        A broken pool (a worker killed, out of memory) raises: that is not one record's fault.
        """
        if self._executor is None:
            raise RuntimeError("RenderPool.render_all needs the pool entered with `with`")
        source = iter(snapshots)
        in_flight: deque[tuple[dict, Future]] = deque(
            self._submit(snapshot) for snapshot in itertools.islice(source, self.window)
        )
        while in_flight:
            snapshot, future = in_flight.popleft()
            in_flight.extend(self._submit(nxt) for nxt in itertools.islice(source, 1))
            yield snapshot, future.result()

    def _submit(self, snapshot: dict) -> tuple[dict, Future]:
        return snapshot, self._executor.submit(_render_or_error, snapshot)
