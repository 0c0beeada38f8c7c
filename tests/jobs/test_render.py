"""The PDF of one record, the fetcher that keeps rendering off the network, and the pool."""

from __future__ import annotations

import io
import socket
from datetime import UTC, date, datetime

import pypdf
import pytest
from PIL import Image
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from jobs.render import RenderError, RenderPool, SnapshotFetcher, render_pdf, snapshot_from_record
from portal.extensions import db
from portal.models import Attachment
from tests import factories


def jpeg(width: int = 160, height: int = 120) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def snapshot(reference: str = "INS-0001", **overrides) -> dict:
    values = {
        "reference": reference,
        "kind": "inspection",
        "title": f"Slab pour check {reference}",
        "status": "open",
        "location": "Level 3",
        "trade": "Concrete",
        "assignee": "Sam Site",
        "due_date": date(2026, 3, 1),
        "created_at": datetime(2026, 1, 2, 8, 30),
        "updated_at": datetime(2026, 1, 3, 9, 15),
        "version": 4,
        "description": "Rebar spacing checked.\nTwo chairs missing.",
        "project": {"name": "Harbour View Tower", "code": "HVT", "address": "1 Quay St"},
        "organization": "Acme Build",
        "checklist": [
            {"label": "Cover to reinforcement", "result": "pass", "comment": ""},
            {"label": "Formwork clean", "result": "fail", "comment": "Debris at C5"},
            {"label": "Cast-in items", "result": "n/a", "comment": ""},
        ],
        "photos": [{"caption": "North bay", "filename": "north.jpg", "data": jpeg()}],
        "exported_at": datetime(2026, 2, 1, 12, 0, tzinfo=UTC),
        "paper": "A4",
    }
    return values | overrides


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_pdf_first_page_shows_reference_title_and_footer():
    pages = pdf_text(render_pdf(snapshot("NCR-0042", title="Cracked column at grid B4")))

    assert len(pages) >= 1
    assert "NCR-0042" in pages[0]
    assert "Cracked column at grid B4" in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert "version 4" in pages[0]
    assert "Exported 2026-02-01 12:00 UTC" in pages[0]


def test_checklist_results_and_multiline_notes_are_printed():
    text = "\n".join(pdf_text(render_pdf(snapshot())))

    assert "PASS" in text and "FAIL" in text and "N/A" in text
    assert "Debris at C5" in text
    assert "Rebar spacing checked.\nTwo chairs missing." in text


def test_every_page_has_page_x_of_y():
    many_items = [{"label": f"Item {n}", "result": "pass", "comment": ""} for n in range(120)]
    pages = pdf_text(render_pdf(snapshot(checklist=many_items)))

    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text


def test_letter_and_a4_give_different_page_sizes():
    def size(paper: str) -> tuple[float, float]:
        box = pypdf.PdfReader(io.BytesIO(render_pdf(snapshot(paper=paper)))).pages[0].mediabox
        return round(float(box.width)), round(float(box.height))

    assert size("A4") == (595, 842)
    assert size("Letter") == (612, 792)


def test_unknown_paper_size_is_a_render_error():
    with pytest.raises(RenderError, match="paper size"):
        render_pdf(snapshot(paper="A0; background: url(file:///etc/passwd)"))


@pytest.mark.parametrize("data", [b"not an image at all", jpeg()[:400]], ids=["garbage", "cut"])
def test_undecodable_photo_raises_naming_the_photo(data):
    photos = [
        {"caption": "", "filename": "ok.jpg", "data": jpeg()},
        {"caption": "", "filename": "broken.jpg", "data": data},
    ]
    with pytest.raises(RenderError, match=r"photo 2 \(broken\.jpg\)"):
        render_pdf(snapshot(photos=photos))


def test_markup_in_record_text_is_printed_not_fetched():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        description = f'<img src="http://127.0.0.1:{port}/x"> <link href="file:///etc/passwd">'

        text = "\n".join(pdf_text(render_pdf(snapshot(description=description))))

        with pytest.raises(BlockingIOError):
            listener.accept()
    assert f'<img src="http://127.0.0.1:{port}/x">' in text
    assert '<link href="file:///etc/passwd">' in text


@pytest.mark.parametrize(
    "markup",
    ['<img src="file:///etc/passwd">', '<img src="http://127.0.0.1:1/x">', '<img src="photo:7">'],
)
def test_fetcher_stops_the_render_on_any_url_but_its_own_photos(markup):
    fetcher = SnapshotFetcher([(jpeg(), "image/jpeg")])

    with pytest.raises(FatalURLFetchingError):
        HTML(string=f'<img src="photo:0">{markup}', url_fetcher=fetcher).write_pdf()


def test_pool_yields_every_result_in_input_order_with_failures_in_their_slot():
    broken = [{"caption": "", "filename": "broken.jpg", "data": b"\xff\xd8 nonsense"}]
    snapshots = [snapshot(f"TSK-{n:04d}", photos=broken if n == 5 else []) for n in range(12)]

    with RenderPool(workers=2) as pool:
        results = list(pool.render_all(iter(snapshots)))

    assert [snap["reference"] for snap, _ in results] == [s["reference"] for s in snapshots]
    for snap, result in results:
        if snap["reference"] == "TSK-0005":
            assert isinstance(result, RenderError)
            assert "broken.jpg" in str(result)
        else:
            assert snap["reference"] in pdf_text(result)[0]


def test_pool_pulls_its_input_no_further_than_its_window_ahead():
    pulled = 0

    def source():
        nonlocal pulled
        for n in range(10):
            pulled += 1
            yield snapshot(f"ISS-{n:04d}", photos=[], checklist=[])

    with RenderPool(workers=2) as pool:
        for consumed, _ in enumerate(pool.render_all(source()), start=1):
            assert pulled - consumed <= pool.window

    assert pulled == 10


def test_leaving_the_pool_early_cancels_the_rest_of_the_work():
    pulled = 0

    def source():
        nonlocal pulled
        for n in range(200):
            pulled += 1
            yield snapshot(f"TSK-{n:04d}", photos=[], checklist=[])

    with RenderPool(workers=1, window=2) as pool:
        for _snap, result in pool.render_all(source()):
            assert isinstance(result, bytes)
            break

    assert pulled <= pool.window + 1


def test_pool_refuses_to_render_outside_its_context():
    with pytest.raises(RuntimeError):
        next(RenderPool(workers=1).render_all([snapshot()]))


def test_snapshot_from_record_renders_the_stored_record(world):
    record = factories.record(world.project_a, kind="ncr", title="Honeycombing on wall W2")
    db.session.flush()
    photo = Attachment(
        organization_id=world.org_a.id,
        record_id=record.id,
        storage_key="k",
        filename="w2.jpg",
        content_type="image/jpeg",
        byte_size=1,
        sha256="0" * 64,
        caption="Wall W2, east face",
    )
    db.session.add(photo)
    db.session.commit()
    exported_at = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

    snap = snapshot_from_record(record, [(photo, jpeg())], exported_at, "Letter")
    text = "\n".join(pdf_text(render_pdf(snap)))

    assert snap["organization"] == "Acme Build"
    assert snap["checklist"] == [{"label": "Formwork clean", "result": "pass", "comment": ""}]
    assert record.reference in text
    assert "Honeycombing on wall W2" in text
    assert "Wall W2, east face" in text


def test_rendering_many_records_does_not_grow_the_process():
    """WeasyPrint's default font configuration per document leaked ~0.25 MB a render; a
    10,000-record export would have swollen each render process by gigabytes."""
    import resource

    for n in range(10):
        render_pdf(snapshot(f"INS-{n:04d}"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for n in range(80):
        render_pdf(snapshot(f"INS-{n:04d}"))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 8, f"grew {grown_mb:.1f} MB over 80 renders"
