"""What makes the index and the combined PDF handover files: PDF/A-3b when the export is
archival (its files as PDF/A-3 associated files), then a PAdES B-B signature with the
organisation's certificate when it is signed.

Level B, not A: the index is drawn untagged by ReportLab and a combined volume joins many
tagged records whose structure trees are not merged, so neither can claim "a"; each record
PDF inside keeps its own PDF/A-3a + PDF/UA-1 as it was cached. pikepdf's `pdfa.save` sets
the XMP identification, the sRGB output intent and the annotations' print flags, writes,
and validates the bytes it wrote, so a file that is not PDF/A never leaves here claiming to
be. The signature comes last, as an incremental update that leaves those bytes as they are.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name, pdfa

from jobs.index_pdf import IndexHead, draw_signature, signature_box
from portal.models import utcnow
from portal.signing import certificates, pdfs

PDFA = "3b"


@dataclass(frozen=True)
class Attachment:
    """A file carried inside the PDF and named by it as its data (MANIFEST.csv, .xlsx)."""

    name: str
    data: bytes
    mime_type: str
    description: str


def finish(path: Path, head: IndexHead) -> None:
    """The index as drawn, made PDF/A and signed in place, as its head says."""
    if head.archival:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            save(pdf, path, head)
    sign(path, head)


def save(pdf: pikepdf.Pdf, target: Path, head: IndexHead, carried: Sequence[Attachment] = ()):
    """Writes `pdf` to `target`: PDF/A-3b with `carried` as associated files when the export
    is archival, else plain (the files attached all the same)."""
    for attachment in carried:
        _attach(pdf, attachment)
    if head.archival:
        _tidy(pdf)
        pdfa.save(pdf, target, PDFA, deterministic_id=True)
    else:
        pdf.save(target, deterministic_id=True)


def sign(path: Path, head: IndexHead) -> None:
    """Signs in place when the export asked, with the visible block on the first page."""
    if not head.signed_by:
        return
    signer = certificates.signer_for(head.organization_id, head.signed_by)
    handle, face = tempfile.mkstemp(suffix=".pdf", dir=path.parent)
    os.close(handle)
    try:
        draw_signature(head, utcnow(), face)
        pdfs.sign_file(path, signer, signature_box(head.paper), Path(face))
    finally:
        Path(face).unlink(missing_ok=True)


def _tidy(pdf: pikepdf.Pdf) -> None:
    """Drops what draws nothing and pikepdf's allowlist checker will not vouch for (it passes
    only what it can check): ReportLab's page transitions and the empty /Pattern and
    /Shading dictionaries WeasyPrint writes into every record page's resources."""
    for page in pdf.pages:
        if Name.Trans in page.obj:
            del page.obj[Name.Trans]
        resources = page.obj.get(Name.Resources, {})
        for kind in (Name.Pattern, Name.Shading):
            if kind in resources and not resources[kind].keys():
                del resources[kind]


def _attach(pdf: pikepdf.Pdf, attachment: Attachment) -> None:
    spec = pikepdf.AttachedFileSpec(
        pdf, attachment.data, filename=attachment.name, mime_type=attachment.mime_type,
        description=attachment.description, relationship=Name.Data,
    )  # fmt: skip
    pdf.attachments[attachment.name] = spec
    if Name.AF not in pdf.Root:
        pdf.Root.AF = pikepdf.Array()
    pdf.Root.AF.append(spec.obj)
