"""One record becomes one PDF; a pool renders many of them with bounded memory.

Rendering runs in worker processes, so everything a render needs travels in a frozen
RecordSnapshot (jobs/snapshot.py): no database session, no app context. Photos travel by
key: each render process reads a record's renditions from S3 itself, with a client of its
own. Record text is user input, so the template autoescapes it and the URL fetcher serves
only the snapshot's own photos: a record can never make the renderer read a file or open a
connection of its choosing.

The same snapshot gives the same bytes in any process on any day (the render cache relies
on it): nothing in the PDF comes from the clock, see `_PINNED`.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import io
import itertools
import multiprocessing
import os
import re
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple, Protocol

import segno
import weasyprint
from botocore.exceptions import BotoCoreError, ClientError
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from jobs import archival
from jobs.snapshot import PhotoRef, RecordSnapshot
from portal import vocabulary
from portal.renders import entries
from portal.renders.entries import PAPER_SIZES, CachedPdf
from portal.storage import client as s3

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PDF_TEMPLATES = TEMPLATES / "pdf"  # every file here shapes the PDF (markup, CSS, partials)
# Bump when this module changes what ends up in a PDF: it is part of the render cache's key.
RENDER_VERSION = "1"
PHOTO_URL = re.compile(r"photo:(\d{1,4})")
# The PNGs besides photos a PDF shows, each one Sitepack drew itself, by URL and by what it is.
LOGO_URL, SIGNATURE_URL = "logo:", "signature:"
PICTURES = {LOGO_URL: "the organisation's logo", SIGNATURE_URL: "the sign-off's signature"}
QR_URL = "qr:verify"  # the footer's QR code of the snapshot's verify link (record.css)
QR_MODULE_MM = 0.4  # one QR module: 33 modules for a 50-character link, 13 mm
# WeasyPrint 70 adds no /ID and no dates of its own (the record's come in as <meta> tags), but
# both are pinned here so a variant's defaults cannot bring them in. Font subsets are named
# from a hash of the font, not at random.
_PINNED = {"pdf_identifier": False, "pdf_version": "1.7", "uncompressed_pdf": False}
# An archival PDF is PDF/A-3a and PDF/UA-1 at once. WeasyPrint 70 takes one `pdf_variant`:
# "pdf/a-3a" brings the tags (with /Lang, /MarkInfo, /DisplayDocTitle), the sRGB output
# intent, embedded fonts and the XMP packet; archival.finish adds what PDF/UA-1 asks beyond
# it. PDF/A wants a file /ID: pydyf's is the MD5 of the objects, so the bytes stay the same.
_ARCHIVAL = _PINNED | {"pdf_variant": "pdf/a-3a", "pdf_identifier": True}
# fontTools stamps "now" into a font it saves (the subset fallback when libharfbuzz-subset is
# missing or older than 4.1, and variable fonts instanced to static); it honours
# SOURCE_DATE_EPOCH instead. 2026-01-01T00:00:00Z, fixed forever.
FONT_EPOCH = "1767225600"


class RenderError(Exception):
    """A record that cannot be rendered: the export lists it in ERRORS.txt and carries on."""


class PhotoSource(Protocol):
    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; raises `s3.ObjectMissing` when it is gone."""


class MemoryPhotos(dict):
    """Photos from a dict of key → bytes, for renders without storage (tests, benchmarks)."""

    def get_bytes(self, key: str) -> bytes:
        if key not in self:
            raise s3.ObjectMissing(key)
        return self[key]


class SnapshotFetcher(URLFetcher):
    """Serves `photo:<index>` from the snapshot's own rendition keys, `logo:` and `signature:`
    from its organisation's logo and its sign-off's signature (PNGs Sitepack drew itself,
    portal/pictures.py); refuses every other URL.

    Refusals are fatal (`fail_on_errors`): WeasyPrint's default is to log and leave a hole,
    which would hide both a template bug and an attempt to reach the network or the disk.
    A RenderError raised here is the record's fault; a storage error is not, and is let out.
    """

    def __init__(
        self,
        photos: tuple[PhotoRef, ...],
        source: PhotoSource,
        pictures: dict | None = None,
        verify_url: str = "",
    ):
        super().__init__(
            allowed_protocols=("photo", "logo", "signature", "qr"), fail_on_errors=True
        )
        self._photos, self._source, self._verify_url = photos, source, verify_url
        self._pictures = {url: key for url, key in (pictures or {}).items() if key}

    def fetch(self, url, headers=None):
        if url == QR_URL and self._verify_url:
            return URLFetcherResponse(url, body=_qr_svg(self._verify_url), headers=SVG)
        if url in self._pictures:
            return self._picture(url)
        match = PHOTO_URL.fullmatch(url)
        if not match or int(match[1]) >= len(self._photos):
            raise RenderError(f"refused to fetch {url[:200]!r}: a PDF shows only its own photos")
        index = int(match[1])
        photo = self._photos[index]
        name = f"photo {index + 1} ({photo.filename or 'unnamed'})"
        try:
            data = self._source.get_bytes(photo.rendition_key)
        except s3.ObjectMissing:
            raise RenderError(f"{name} is missing from storage") from None
        if not _complete_jpeg(data):
            raise RenderError(f"{name} is damaged in storage: not a complete JPEG")
        return URLFetcherResponse(url, body=data, headers={"Content-Type": "image/jpeg"})

    def _picture(self, url: str) -> URLFetcherResponse:
        try:
            data = self._source.get_bytes(self._pictures[url])
        except s3.ObjectMissing:
            raise RenderError(f"{PICTURES[url]} is missing from storage") from None
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise RenderError(f"{PICTURES[url]} is damaged in storage: not a PNG")
        return URLFetcherResponse(url, body=data, headers={"Content-Type": "image/png"})


SVG = {"Content-Type": "image/svg+xml"}


def _qr_svg(text: str) -> bytes:
    """segno draws the same SVG for the same text: the PDF stays reproducible."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=QR_MODULE_MM, unit="mm", border=0, xmldecl=False
    )
    return out.getvalue()


def _complete_jpeg(data: bytes) -> bool:
    """Renditions were decoded in full at ingest (portal/photos.py), so a render only checks
    the frame: storage damage is a cut-off object, and WeasyPrint embeds a JPEG without
    decoding it, so a cut one would give a PDF with a grey or missing photo, silently."""
    return data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")


def render_pdf(snapshot: RecordSnapshot, photos: PhotoSource, templates: Path = TEMPLATES) -> bytes:
    """Raises RenderError, naming the photo, when a photo is missing or damaged; a storage
    outage raises boto3's own error, since it is no record's fault. Exports always use the
    repo's `templates`; benches pass another copy to compare templates by the same steps."""
    engine = _engine(templates)
    paper = _checked_paper(snapshot.look.paper)
    html = engine.template.render(
        r=snapshot, brand=snapshot.branding, photos=_photo_views(snapshot.photos)
    )
    pictures = {
        LOGO_URL: snapshot.branding.logo_key,
        SIGNATURE_URL: snapshot.sign_off.signature_key,
    }
    fetcher = SnapshotFetcher(snapshot.photos, photos, pictures, snapshot.verify_url)
    document = RecordHTML(string=html, url_fetcher=fetcher, ua_stylesheet=engine.ua_css)
    options = {"finisher": archival.finish, **_ARCHIVAL} if snapshot.look.archival else _PINNED
    try:
        return document.write_pdf(
            stylesheets=[engine.css, engine.paper_css[paper]], font_config=engine.fonts, **options
        )
    except FatalURLFetchingError as exc:  # the fetcher's own error is the one that says why
        raise (exc.__cause__ or RenderError(str(exc))) from None


class RecordHTML(HTML):
    """A document styled by templates/pdf/ua.css instead of WeasyPrint's HTML5 default sheet,
    whose 256 lines are matched against every element of every record though record.html
    uses a handful of elements: the small sheet gives the same PDF bytes for 8-9 % fewer
    Python calls and 11-15 % less CPU a record (bench/template_bench.py, --baseline a copy
    of templates/ without pdf/ua.css).

    WeasyPrint 70 has no public option for this: `_ua_stylesheets` is the hook its own test
    suite overrides (FakeHTML, "with a lighter UA stylesheet"). WeasyPrint is pinned exactly,
    and tests/jobs/test_render.py fails if the hook stops being called. PDFs carry no forms
    (`pdf_forms` is never set), so the form sheet is never asked for.
    """

    def __init__(self, *, ua_stylesheet: CSS | None, **kwargs):
        super().__init__(**kwargs)
        self._ua_stylesheet = ua_stylesheet

    def _ua_stylesheets(self, forms=False):
        if self._ua_stylesheet is None:  # a template dir without ua.css (bench baselines)
            return super()._ua_stylesheets(forms)
        return [self._ua_stylesheet]


def _checked_paper(paper: str) -> str:
    if paper not in PAPER_SIZES:
        raise RenderError(f"unknown paper size {paper!r}: expected one of {PAPER_SIZES}")
    return paper


def _photo_views(photos: tuple[PhotoRef, ...]) -> list[dict]:
    return [
        {"index": index, "caption": photo.caption or "", "filename": photo.filename,
         "taken_at": photo.taken_at, "taken_by": photo.taken_by}
        for index, photo in enumerate(photos)
    ]  # fmt: skip


@functools.cache
def template_hash() -> str:
    """sha256 of what turns a snapshot into bytes besides the snapshot: the files of
    templates/pdf/, this module's RENDER_VERSION and WeasyPrint's version. Once per process."""
    digest = hashlib.sha256(
        f"render {RENDER_VERSION}\0weasyprint {weasyprint.__version__}".encode()
    )
    for path in sorted(p for p in PDF_TEMPLATES.rglob("*") if p.is_file()):
        name = path.relative_to(PDF_TEMPLATES).as_posix()
        digest.update(f"\0{name}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _Engine(NamedTuple):
    template: Template
    css: CSS
    ua_css: CSS | None  # None: WeasyPrint's HTML5 default, for a template dir without ua.css
    paper_css: dict[str, CSS]
    # One per process: WeasyPrint's default, a new one per document, leaks ~0.25 MB a render
    # (measured: 122 → 223 MB over 400 records), so a 10,000-record export would swell the pool.
    fonts: FontConfiguration


def _engine(templates: Path = TEMPLATES) -> _Engine:
    """Template and stylesheets parsed once per process, then reused for every record."""
    return _engine_for(templates)


@functools.cache  # keyed by its one argument, always passed: `_engine()` is `_engine(TEMPLATES)`
def _engine_for(templates: Path) -> _Engine:
    os.environ["SOURCE_DATE_EPOCH"] = FONT_EPOCH  # read by fontTools when it saves a font
    env = Environment(
        loader=FileSystemLoader(templates), autoescape=True, undefined=StrictUndefined
    )
    env.filters.update(
        utc=_format_utc, w3c=_format_w3c, day=_format_day, css_token=vocabulary.css_token,
        kind_label=vocabulary.kind_label, status_label=vocabulary.status_label,
        disposition_label=vocabulary.disposition_label, camera_time=_format_camera_time,
    )  # fmt: skip
    refuse_all = SnapshotFetcher((), MemoryPhotos())
    css = CSS(filename=str(templates / "pdf" / "record.css"), url_fetcher=refuse_all)
    ua = templates / "pdf" / "ua.css"
    ua_css = CSS(filename=str(ua), url_fetcher=refuse_all) if ua.is_file() else None
    paper_css = {size: CSS(string=f"@page {{ size: {size} }}") for size in PAPER_SIZES}
    template = env.get_template("pdf/record.html")
    return _Engine(template, css, ua_css, paper_css, FontConfiguration())


def _format_utc(value: datetime | None) -> str:
    """Stored times are naive UTC; aware ones are converted so the label stays true."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _format_camera_time(value: datetime) -> str:
    """A photo's EXIF time is the camera's own clock, of no known zone: shown as written."""
    return value.strftime("%Y-%m-%d %H:%M")


def _format_w3c(value: datetime) -> str:
    """For WeasyPrint's `dcterms.*` meta tags, which become the PDF's own dates."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _format_day(value: date | None) -> str:
    return value.isoformat() if value else "—"


PR_SET_PDEATHSIG = 1


# This render process's own client of the bucket, made after the fork by _init_worker: it
# reads the photos and stores the PDFs.
_bucket: s3.Bucket | None = None


def _init_worker(parent_pid: int, storage: s3.Settings) -> None:
    """Pays the one-off costs (template, CSS, fontconfig, an S3 client) once per long-lived
    worker. The client is its own: one made before the fork shares the parent's sockets."""
    global _bucket
    _die_with(parent_pid)
    _bucket = s3.Bucket(storage)
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


def _render_or_error(snapshot: RecordSnapshot) -> bytes | RenderError:
    """Returns a record's failure instead of raising it, so a raise means the pool broke or
    storage failed (not one record's fault: the export fails, and boto3's errors pickle).

    Every other failure is reduced to a RenderError with a message, because arbitrary library
    exceptions do not always survive pickling back to the parent.
    """
    if snapshot.load_error:
        return RenderError(snapshot.load_error)
    try:
        return render_pdf(snapshot, _bucket)
    except RenderError as exc:
        return RenderError(str(exc))
    except (BotoCoreError, ClientError):
        raise
    except Exception as exc:
        return RenderError(f"{type(exc).__name__}: {exc}")


def _store_or_error(snapshot: RecordSnapshot, template: str) -> CachedPdf | RenderError:
    """Renders into the render cache: the PDF goes to S3 from here and only its entry goes
    back to the job, so no PDF is ever pickled between processes."""
    pdf = _render_or_error(snapshot)
    if isinstance(pdf, RenderError):
        return pdf
    print_ = entries.fingerprint(snapshot.render_inputs(), template)
    entry = CachedPdf(
        snapshot.organization_id, snapshot.record_id, print_, hashlib.sha256(pdf).hexdigest(),
        len(pdf),
    )  # fmt: skip
    _bucket.put_bytes(entry.key, pdf, "application/pdf")
    return entry


CHECK_SECONDS = 0.25  # how often a wait for a render looks whether it is still wanted


def _result(future: Future, check: Callable[[], None] | None):
    while check is not None:
        try:
            return future.result(timeout=CHECK_SECONDS)
        except TimeoutError:
            check()
    return future.result()


class RenderPool:
    """Long-lived render workers fed through a bounded window, one pool per export job.

    At most `window` snapshots are in flight at once, and the input is pulled only as
    results are consumed, so the job's memory does not grow with the export. Photos do not
    pass through the job: each worker reads them from `storage` itself. `fork` starts
    workers instantly with WeasyPrint already imported; enter the pool before starting
    threads of your own.
    """

    def __init__(self, storage: s3.Settings, workers: int | None = None, window: int | None = None):
        self.storage = storage
        self.workers = workers or os.cpu_count() or 1
        self.window = window or 2 * self.workers
        self._executor: ProcessPoolExecutor | None = None

    @classmethod
    def for_app(cls, app) -> RenderPool:
        """The pool a job runs with: the app's bucket and its EXPORT_RENDER_PROCESSES."""
        return cls(s3.settings(app.config), app.config["EXPORT_RENDER_PROCESSES"])

    def __enter__(self) -> RenderPool:
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker,
            initargs=(os.getpid(), self.storage),
        )
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        """After an error or a cancel, the renders still running are not waited for: the job
        returns at once, and its render processes die with it (see _die_with)."""
        self._executor.shutdown(wait=exc_type is None, cancel_futures=True)
        self._executor = None

    def render_all(
        self, snapshots: Iterable[RecordSnapshot]
    ) -> Iterator[tuple[RecordSnapshot, bytes | RenderError]]:
        """Yields (snapshot, pdf bytes or the record's error) in input order."""
        return self._run(snapshots, None, _render_or_error)

    def store_all(
        self, snapshots: Iterable[RecordSnapshot], check: Callable[[], None] | None = None
    ) -> Iterator[tuple[RecordSnapshot, CachedPdf | RenderError]]:
        """Yields (snapshot, its entry in the render cache or the record's error) in order;
        `check` is called while a render runs, and may raise to stop waiting for it."""
        return self._run(snapshots, check, _store_or_error, template_hash())

    def _run(self, snapshots, check, task, *args) -> Iterator[tuple]:
        """A broken pool (a worker killed, out of memory) raises: that is not one record's
        fault, and neither is a storage outage."""
        if self._executor is None:
            raise RuntimeError("RenderPool needs to be entered with `with` first")
        source = iter(snapshots)

        def submit(snapshot: RecordSnapshot) -> tuple[RecordSnapshot, Future]:
            return snapshot, self._executor.submit(task, snapshot, *args)

        in_flight = deque(submit(snapshot) for snapshot in itertools.islice(source, self.window))
        while in_flight:
            snapshot, future = in_flight.popleft()
            in_flight.extend(submit(nxt) for nxt in itertools.islice(source, 1))
            yield snapshot, _result(future, check)
