"""An export across two projects, made by a real worker: a folder per project in the zip, a
section per project in 00-INDEX.pdf and in the combined PDF's outline, and the project in
every manifest row."""

from __future__ import annotations

import csv
import io
import zipfile

from pypdf import PdfReader

from portal.extensions import db
from portal.models import Export
from portal.photos import ingest_photo
from portal.storage import client as s3
from tests import factories
from tests.factories import login
from tests.helpers import csrf, csrf_headers, reload
from tests.polling import wait_until

DONE = ("completed", "failed")


def test_a_two_project_export_has_a_folder_an_index_section_and_outline_entry_per_project(
    client, world, bucket, worker
):
    depot = factories.project(world.org_a, "Quay Depot", "QD")
    tower = factories.records(world.project_a, 2)
    quay = [factories.record(depot, kind="issue", n=n) for n in (101, 102)]
    db.session.flush()
    ingest_photo(quay[0], "site.jpg", factories.jpeg(), caption="Crack")
    db.session.commit()
    login(client, "member@acme.test")
    client.post("/selection/matching", headers=csrf_headers(client, {"HX-Request": "true"}))
    form = {"project": "", "layout": "both", "include_originals": "1", "csrf_token": csrf(client)}
    assert client.post("/exports", data=form).status_code == 303
    export = Export.query.one()
    with worker():
        export = wait_until(lambda: (e := reload(export.id)).status in DONE and e, timeout=120)
    assert export.status == "completed", export.error
    archive = zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0])))

    folders = {name.split("/")[0] for name in archive.namelist() if "/" in name}
    assert folders == {"Harbour View Tower", "Quay Depot"}
    assert f"Quay Depot/photos/{quay[0].reference}/site.jpg" in archive.namelist()
    rows = list(csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode("utf-8-sig"))))
    projects = {row["reference"]: row["project"] for row in rows if row["file"].endswith(".pdf")}
    assert projects == {r.reference: "Harbour View Tower" for r in tower} | {
        r.reference: "Quay Depot" for r in quay
    }

    index = PdfReader(io.BytesIO(archive.read("00-INDEX.pdf")))
    text = " ".join(index.pages[0].extract_text().split())
    assert "Projects Harbour View Tower, Quay Depot" in text
    assert text.index("Harbour View Tower — 2 records") < text.index(tower[0].reference)
    assert text.index(tower[-1].reference) < text.index("Quay Depot — 2 records")
    assert text.index("Quay Depot — 2 records") < text.index(quay[0].reference)

    [volume_name] = [name for name in archive.namelist() if "— combined, volume" in name]
    outline = PdfReader(io.BytesIO(archive.read(volume_name))).outline
    tops = [item.title for item in outline if not isinstance(item, list)]
    assert tops == ["Index", "Harbour View Tower", "Quay Depot"]
