"""The PDF of one record, the fetcher that keeps rendering off the network, and the pool."""

from __future__ import annotations

import io
import os
import shutil
import socket
from pathlib import Path

import pypdf
import pytest
from botocore.exceptions import EndpointConnectionError
from PIL import Image
from weasyprint import CSS, HTML
from weasyprint.urls import FatalURLFetchingError

from jobs.render import (
    TEMPLATES,
    MemoryPhotos,
    RecordHTML,
    RenderError,
    RenderPool,
    SnapshotFetcher,
    render_pdf,
)
from jobs.snapshot import ChecklistLine, PhotoRef
from portal.photos import make_rendition
from portal.renders.entries import Look
from portal.storage import client as s3
from tests.factories import PHOTO_KEY, jpeg, record_snapshot

# Where nothing listens: for pools whose records have no photos, so never read storage.
NO_STORAGE = s3.Settings("http://127.0.0.1:9", "us-east-1", "key", "secret", "bucket")


def snapshot(reference: str = "INS-0001", **overrides):
    return record_snapshot(reference, **overrides)


def render(snap, photos: dict | None = None) -> bytes:
    return render_pdf(snap, MemoryPhotos(photos if photos is not None else {PHOTO_KEY: jpeg()}))


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_pdf_first_page_shows_reference_title_and_footer():
    pages = pdf_text(render(snapshot("NCR-0042", title="Cracked column at grid B4")))

    assert len(pages) >= 1
    assert "NCR-0042" in pages[0]
    assert "Cracked column at grid B4" in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert "version 4" in pages[0]
    assert "verify at https://sitepack.test/v/abcdefghijklmnop" in pages[0]
    assert "Exported" not in pages[0]


def test_pdf_dates_are_the_records_own():
    info = pypdf.PdfReader(io.BytesIO(render(snapshot()))).metadata

    assert info["/CreationDate"] == "D:20260102083000Z"
    assert info["/ModDate"] == "D:20260103091500Z"


def test_checklist_results_and_multiline_notes_are_printed():
    text = "\n".join(pdf_text(render(snapshot())))

    assert "PASS" in text and "FAIL" in text and "N/A" in text
    assert "Debris at C5" in text
    assert "Rebar spacing checked.\nTwo chairs missing." in text


def test_every_page_has_page_x_of_y():
    many_items = tuple(ChecklistLine(f"Item {n}", "pass", "") for n in range(120))
    pages = pdf_text(render(snapshot(checklist=many_items)))

    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text


def test_letter_and_a4_give_different_page_sizes():
    def size(paper: str) -> tuple[float, float]:
        box = pypdf.PdfReader(io.BytesIO(render(snapshot(look=Look(paper))))).pages[0].mediabox
        return round(float(box.width)), round(float(box.height))

    assert size("A4") == (595, 842)
    assert size("Letter") == (612, 792)


def test_unknown_paper_size_is_a_render_error():
    with pytest.raises(RenderError, match="paper size"):
        render(snapshot(look=Look("A0; background: url(file:///etc/passwd)")))


def test_small_user_agent_stylesheet_gives_the_same_pdf_as_weasyprints_default(tmp_path):
    """templates/pdf/ua.css stands in for WeasyPrint's HTML5 sheet to save work, not to change
    the look: an element the template starts using without copying its UA rules shows here
    (bench/compare_pages.py checks more cases, page by page)."""
    shutil.copytree(TEMPLATES / "pdf", tmp_path / "pdf")
    (tmp_path / "pdf" / "ua.css").unlink()
    photos = MemoryPhotos({PHOTO_KEY: jpeg(), "second.jpg": jpeg(120, 160)})
    snap = snapshot(photos=(*snapshot().photos, PhotoRef("second.jpg", "b" * 64, "", "b.jpg")))

    assert render_pdf(snap, photos) == render_pdf(snap, photos, templates=tmp_path)


def test_weasyprint_still_asks_our_hook_for_the_user_agent_stylesheet():
    """RecordHTML swaps the UA sheet through WeasyPrint's private `_ua_stylesheets`. If an
    upgrade renames or stops calling it, ua.css is silently ignored: this test fails first."""
    hiding = CSS(string="html, body { display: block } p { display: none }")
    markup = "<p>UA rules applied</p>"
    hidden = RecordHTML(string=markup, ua_stylesheet=hiding).write_pdf()
    default = RecordHTML(string=markup, ua_stylesheet=None).write_pdf()

    assert "UA rules applied" in pdf_text(default)[0]
    assert "UA rules applied" not in pdf_text(hidden)[0], (
        "WeasyPrint no longer takes the UA stylesheet from HTML._ua_stylesheets"
    )


TWO_PHOTOS = (
    PhotoRef("ok.jpg", "a" * 64, "", "ok.jpg"),
    PhotoRef("broken.jpg", "b" * 64, "", "broken.jpg"),
)


@pytest.mark.parametrize("data", [b"not an image at all", jpeg()[:400]], ids=["garbage", "cut"])
def test_damaged_photo_raises_naming_the_photo(data):
    """WeasyPrint embeds a JPEG without decoding it, and leaves a hole for bytes Pillow cannot
    open: both would be a silently broken PDF without the fetcher's check."""
    with pytest.raises(RenderError, match=r"photo 2 \(broken\.jpg\) is damaged"):
        render(snapshot(photos=TWO_PHOTOS), {"ok.jpg": jpeg(), "broken.jpg": data})


def test_missing_photo_raises_naming_the_photo():
    with pytest.raises(RenderError, match=r"photo 2 \(broken\.jpg\) is missing from storage"):
        render(snapshot(photos=TWO_PHOTOS), {"ok.jpg": jpeg()})


def test_storage_outage_is_not_blamed_on_the_record():
    class Down:
        def get_bytes(self, key):
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    with pytest.raises(EndpointConnectionError):
        render_pdf(snapshot(), Down())


def test_rendition_is_embedded_byte_for_byte():
    """Checked once at ingest, embedded as-is: a rendition is a baseline JPEG without EXIF,
    which WeasyPrint copies into the PDF instead of decoding and re-encoding it."""
    original = io.BytesIO()
    photo = Image.effect_noise((900, 600), 50).convert("RGB")
    exif = photo.getexif()
    exif[0x0112] = 6  # rotated, as phones write it
    photo.save(original, "JPEG", quality=90, exif=exif, progressive=True)
    rendition, _ = make_rendition(original.getvalue())
    with Image.open(io.BytesIO(rendition)) as image:
        assert "exif" not in image.info and "progressive" not in image.info
        assert image.size == (600, 900)

    assert rendition in render(snapshot(), {PHOTO_KEY: rendition})


def test_markup_in_record_text_is_printed_not_fetched():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        description = f'<img src="http://127.0.0.1:{port}/x"> <link href="file:///etc/passwd">'

        text = "\n".join(pdf_text(render(snapshot(description=description))))

        with pytest.raises(BlockingIOError):
            listener.accept()
    assert f'<img src="http://127.0.0.1:{port}/x">' in text
    assert '<link href="file:///etc/passwd">' in text


@pytest.mark.parametrize(
    "markup",
    ['<img src="file:///etc/passwd">', '<img src="http://127.0.0.1:1/x">', '<img src="photo:7">'],
)
def test_fetcher_stops_the_render_on_any_url_but_its_own_photos(markup):
    fetcher = SnapshotFetcher(snapshot().photos, MemoryPhotos({PHOTO_KEY: jpeg()}))

    with pytest.raises(FatalURLFetchingError):
        HTML(string=f'<img src="photo:0">{markup}', url_fetcher=fetcher).write_pdf()


def test_pool_yields_every_result_in_input_order_with_failures_in_their_slot(app, bucket):
    """Each worker reads the photos from S3 itself, with a client of its own."""
    s3.put_bytes(PHOTO_KEY, jpeg(), "image/jpeg")
    s3.put_bytes("cut.jpg", jpeg(640, 480)[:900], "image/jpeg")
    cut = (PhotoRef("cut.jpg", "c" * 64, "", "broken.jpg"),)
    gone = (PhotoRef("gone.jpg", "d" * 64, "", "gone.jpg"),)
    photos = {5: cut, 8: gone}
    snapshots = [snapshot(f"TSK-{n:04d}", photos=photos.get(n, ())) for n in range(12)]
    snapshots[2] = snapshot("TSK-0002")  # with the photo stored under PHOTO_KEY

    with RenderPool(s3.settings(app.config), workers=2) as pool:
        results = list(pool.render_all(iter(snapshots)))

    assert [snap.reference for snap, _ in results] == [s.reference for s in snapshots]
    for snap, result in results:
        if snap.reference == "TSK-0005":
            assert isinstance(result, RenderError)
            assert "photo 1 (broken.jpg) is damaged" in str(result)
        elif snap.reference == "TSK-0008":
            assert isinstance(result, RenderError)
            assert "photo 1 (gone.jpg) is missing from storage" in str(result)
        else:
            assert snap.reference in pdf_text(result)[0]
    assert jpeg() in results[2][1]


def test_pool_fails_when_storage_is_down_instead_of_failing_every_record():
    with (
        RenderPool(NO_STORAGE, workers=1) as pool,
        pytest.raises(EndpointConnectionError),
    ):
        list(pool.render_all([snapshot()]))


def test_pool_does_not_render_a_record_that_failed_to_load():
    with RenderPool(NO_STORAGE, workers=1) as pool:
        [(_, result)] = pool.render_all([snapshot(load_error="photo 'a.jpg' is missing")])

    assert isinstance(result, RenderError) and "a.jpg" in str(result)


def test_pool_pulls_its_input_no_further_than_its_window_ahead():
    pulled = 0

    def source():
        nonlocal pulled
        for n in range(10):
            pulled += 1
            yield snapshot(f"ISS-{n:04d}", photos=(), checklist=())

    with RenderPool(NO_STORAGE, workers=2) as pool:
        for consumed, _ in enumerate(pool.render_all(source()), start=1):
            assert pulled - consumed <= pool.window

    assert pulled == 10


def test_leaving_the_pool_early_cancels_the_rest_of_the_work():
    pulled = 0

    def source():
        nonlocal pulled
        for n in range(200):
            pulled += 1
            yield snapshot(f"TSK-{n:04d}", photos=(), checklist=())

    with RenderPool(NO_STORAGE, workers=1, window=2) as pool:
        for _snap, result in pool.render_all(source()):
            assert isinstance(result, bytes)
            break

    assert pulled <= pool.window + 1


def test_pool_refuses_to_render_outside_its_context():
    with pytest.raises(RuntimeError):
        next(RenderPool(NO_STORAGE, workers=1).render_all([snapshot()]))


def test_rendering_many_records_does_not_grow_the_process():
    """WeasyPrint's default font configuration per document leaked ~0.25 MB a render; a
    10,000-record export would have swollen each render process by gigabytes. The first 80
    renders fill bounded caches (fonts, images: about 8 MB), so the process's resident size is
    compared after them; the peak (ru_maxrss) would hide growth behind an earlier test's."""
    for n in range(80):
        render(snapshot(f"INS-{n:04d}"))
    before = resident_mb()
    for n in range(80, 160):
        render(snapshot(f"INS-{n:04d}"))
    grown_mb = resident_mb() - before
    assert grown_mb < 8, f"grew {grown_mb:.1f} MB over 80 renders"


def resident_mb() -> float:
    """The process's resident size now, from /proc (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
