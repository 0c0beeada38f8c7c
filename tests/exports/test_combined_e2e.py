"""One combined PDF beside the per-record PDFs ("both"), in the chosen order, split into
volumes, made by a real worker from the render cache: each volume passes `qpdf --check`,
opens with pypdf, has index pages + every record's pages, an outline entry per record under
its kind, page labels, and index lines that link to their records' first pages."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile

from pypdf import PdfReader

from portal.exports import wording
from portal.models import Export, Record
from portal.storage import client as s3
from portal.vocabulary import kind_label
from tests.factories import login
from tests.helpers import reload, request_export
from tests.polling import wait_until

DONE = ("completed", "failed")


def test_a_combined_export_in_volumes_links_outlines_and_labels_every_record(
    app, client, world, project_records, worker, tmp_path
):
    records = project_records(3, photo_every=0)
    login(client, "member@acme.test")
    response = request_export(client, world.project_a, records, layout="both", order="reference")
    assert response.status_code == 303
    export = Export.query.one()
    with worker(EXPORT_COMBINED_VOLUME_BYTES="1"):  # every record fills a volume of its own
        export = wait_until(lambda: (e := reload(export.id)).status in DONE and e, timeout=120)
    assert export.status == "completed", export.error
    archive = zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))
    names = archive.namelist()
    volumes = sorted(n for n in names if "— combined, volume" in n)
    assert len(volumes) == 3 and "00-INDEX.pdf" in names
    ordered = sorted(records, key=lambda r: r.reference)
    for number, (name, record) in enumerate(zip(volumes, ordered, strict=True), start=1):
        assert name == f"{wording.title(export)} — combined, volume {number}.pdf"
        path = tmp_path / f"v{number}.pdf"
        path.write_bytes(archive.read(name))
        assert_volume_is_whole(path, [record], archive)


def assert_volume_is_whole(path, records: list[Record], archive: zipfile.ZipFile) -> None:
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    volume = PdfReader(path)
    manifest = csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode("utf-8-sig")))
    files = {row["reference"]: row["file"] for row in manifest}
    own = [PdfReader(io.BytesIO(archive.read(files[r.reference]))) for r in records]
    record_pages = sum(len(pdf.pages) for pdf in own)
    index_pages = len(volume.pages) - record_pages
    assert index_pages >= 1 and record_pages >= len(records)
    outline = volume.outline
    assert outline[0].title == "Index"
    kinds = [item.title for item in outline[1:] if not isinstance(item, list)]
    assert kinds == [kind_label(records[0].kind)]
    [entries] = [item for item in outline if isinstance(item, list)]
    assert [e.title.split(" — ")[0] for e in entries] == [r.reference for r in records]
    first = volume.get_destination_page_number(entries[0])
    assert first == index_pages
    assert volume.page_labels[0] == "Index i"
    assert volume.page_labels[first] == f"{records[0].reference} p. 1"
    [link] = [a.get_object() for a in volume.pages[0]["/Annots"]]
    assert link["/Dest"][0].get_object() == volume.pages[first].get_object()
