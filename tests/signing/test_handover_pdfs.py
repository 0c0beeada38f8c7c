"""The index and a combined volume of an archival, signed export: PDF/A-3b (identification,
sRGB output intent, every font embedded, the volume's MANIFEST.csv and .xlsx as associated
files), `qpdf --check` clean, and signed so that pyHanko validates the chain to the
deployment CA, and a byte changed after signing breaks it. Record PDFs are real archival
renders; the signer is the one the CA issues the organisation. Last, one real worker makes
a signed export from the request on."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name, pdfa

from jobs import handover
from jobs.combined import CombinedPdf
from jobs.index_pdf import IndexHead, IndexLine, render, signature_box
from jobs.render import MemoryPhotos, render_pdf
from portal.extensions import db
from portal.models import Export
from portal.renders.entries import Look
from portal.signing import certificates, pdfs
from portal.storage import client as s3
from tests.factories import PHOTO_KEY, jpeg, login, record_snapshot
from tests.helpers import reload, request_export
from tests.polling import wait_until

PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
DONE = ("completed", "failed")


@pytest.fixture
def app_overrides(tmp_path):
    return {"SIGNING_PASSPHRASE": "correct horse", "SIGNING_CA_PATH": str(tmp_path / "ca.p12")}


@pytest.fixture
def head(app, world, bucket) -> IndexHead:
    """An archival, signed export's index head (the CA made, so its signer can be issued)."""
    certificates.init_ca()
    return IndexHead(
        "Level 3 handover", ("Harbour View Tower",), "Mia <member@acme.test>",
        datetime(2026, 12, 7, 19, 3), "chosen by hand", "A4", archival=True,
        signed_by=world.org_a.name, organization_id=world.org_a.id,
    )  # fmt: skip


def line(reference: str) -> IndexLine:
    return IndexLine(reference, "Façade panel", "inspection", "open", "Zoë", 1, "")


def test_the_index_is_pdf_a_3b_signed_by_the_organisation_with_its_block(head, tmp_path):
    path = index(head, tmp_path)

    assert_pdf_a(path)
    [check] = pdfs.check(path.read_bytes(), certificates.ca_certificate())
    assert (check.valid, check.signer) == (True, "Acme Build")
    with pikepdf.open(path) as pdf:
        [widget] = [a for a in pdf.pages[0].Annots if a.get(Name.FT) == Name.Sig]
        assert [round(float(v)) for v in widget.Rect] == [round(v) for v in signature_box("A4")]


def test_a_combined_volume_is_pdf_a_with_its_manifest_attached_and_a_changed_byte_breaks_it(
    head, tmp_path
):
    photos = MemoryPhotos({PHOTO_KEY: jpeg()})
    records = [
        render_pdf(record_snapshot(f"INS-000{n}", look=Look("A4", True)), photos) for n in (1, 2)
    ]
    volumes: list[Path] = []

    def emit(name: str, path: Path) -> None:
        volumes.append(tmp_path / name)
        volumes[-1].write_bytes(path.read_bytes())

    combined = CombinedPdf(head, 10**9, str(tmp_path), emit)
    for n, data in enumerate(records, start=1):
        combined.add(line(f"INS-000{n}"), data, lambda name, n=n: f"INS-000{n},{name}\r\n".encode())
    combined.close()

    [volume] = volumes
    assert_pdf_a(volume)
    with pikepdf.open(volume) as pdf:
        assert set(pdf.attachments) == {"MANIFEST.csv", "MANIFEST.xlsx"}
        assert {spec.AFRelationship for spec in pdf.Root.AF} == {Name.Data}
        manifest = pdf.attachments["MANIFEST.csv"].get_file().read_bytes().decode("utf-8-sig")
        assert manifest.splitlines()[1:] == [f"INS-000{n},{volume.name}" for n in (1, 2)]
    signed = volume.read_bytes()
    [good] = pdfs.check(signed, certificates.ca_certificate())
    assert (good.intact, good.trusted, good.valid) == (True, True, True)
    tampered = bytearray(signed)
    tampered[len(signed) // 3] ^= 0x01
    [bad] = pdfs.check(bytes(tampered), certificates.ca_certificate())
    assert not bad.intact and not bad.valid


def test_a_plain_unsigned_index_claims_neither(app, tmp_path):
    plain = IndexHead("Plain", (), "Mia", datetime(2026, 12, 7), "by hand", "A4")
    path = index(plain, tmp_path)
    with pikepdf.open(path) as pdf:
        assert Name.OutputIntents not in pdf.Root and Name.AcroForm not in pdf.Root


def index(head: IndexHead, tmp_path: Path, count: int = 2) -> Path:
    path = tmp_path / "00-INDEX.pdf"
    render(head, [line(f"INS-{n:04d}") for n in range(count)], path)
    handover.finish(path, head)
    return path


def assert_pdf_a(path: Path) -> None:
    """Identification, output intent, embedded fonts, pikepdf's validator, qpdf: all clean."""
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with pikepdf.open(path) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            assert (meta[f"{PDFAID}part"], meta[f"{PDFAID}conformance"]) == ("3", "B")
        [intent] = pdf.Root.OutputIntents
        assert intent.S == Name.GTS_PDFA1 and Name.DestOutputProfile in intent
        for page in pdf.pages:
            for font in page.Resources.get(Name.Font, {}).values():
                descendant = font.get(Name.DescendantFonts, [font])[0]
                descriptor = descendant.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    data = path.read_bytes()
    unsigned = data[: data.index(b"%%EOF") + 5]  # the revision before the signature's update
    report = pdfa.validate_written(io.BytesIO(unsigned), "3b")
    assert report.passed, report.findings
    # The signature's update: pikepdf's allowlist checker does not go into forms (nor, past
    # one revision, into embedded files) and says so; nothing it checks is a violation.
    # PDF/A-3 allows a signature field whose widget prints and has its appearance.
    findings = pdfa.validate_written(path, "3b").findings
    assert [f for f in findings if f.kind != "unsupported"] == []
    with pikepdf.open(path) as pdf:
        for widget in (a for a in pdf.pages[0].get(Name.Annots, []) if a.get(Name.FT)):
            assert int(widget.F) & 4 and Name.N in widget.AP


def test_a_worker_signs_a_signed_exports_index_and_combined_pdf(
    app, world, project_records, worker, client, tmp_path
):
    """The wiring, end to end: the organisation signs, a real worker makes the export, and
    both handover files in its zip validate against the CA; the records' PDFs are unsigned."""
    certificates.init_ca()
    world.org_a.sign_exports = True
    db.session.commit()
    records = project_records(2, photo_every=0)
    login(client, "member@acme.test")
    assert request_export(client, world.project_a, records, layout="both").status_code == 303
    export = Export.query.one()
    with worker(SIGNING_PASSPHRASE="correct horse", SIGNING_CA_PATH=str(tmp_path / "ca.p12")):
        export = wait_until(lambda: (e := reload(export.id)).status in DONE and e, timeout=180)
    assert export.status == "completed", export.error
    with zipfile.ZipFile(io.BytesIO(s3.get_bytes(export.object_keys[0]))) as archive:
        names = archive.namelist()
        [volume] = [n for n in names if "combined, volume" in n]
        for name in ("00-INDEX.pdf", volume):
            [check] = pdfs.check(archive.read(name), certificates.ca_certificate())
            assert (check.valid, check.signer) == (True, "Acme Build"), name
        record = next(n for n in names if records[0].reference in n and n != volume)
        assert pdfs.check(archive.read(record), certificates.ca_certificate()) == []
