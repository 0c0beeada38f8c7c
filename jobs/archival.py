"""What an archival record PDF needs beyond WeasyPrint 70's "pdf/a-3a" variant to be PDF/UA-1
as well: the identification in its XMP packet, and its page furniture (the footer in the
page margins) marked as artifacts rather than as content that belongs to no structure.

Runs as WeasyPrint's `finisher`, on the pydyf objects before they are written, so it costs
no second parse of the PDF and the bytes stay a function of the record alone.
"""

from __future__ import annotations

from pathlib import Path

import pydyf

# PDF/UA-1's pdfuaid:part, with the PDF/A extension schema that PDF/A asks for any property
# its own standard does not predefine. Lives with the templates: it shapes the PDF's bytes.
UA_IDENTIFICATION = Path(__file__).resolve().parent.parent / "templates" / "pdf" / "pdfua.xmp"


def finish(document, pdf: pydyf.PDF) -> None:
    _declare_pdf_ua(pdf)
    _margins_as_artifacts(pdf)


def _declare_pdf_ua(pdf: pydyf.PDF) -> None:
    metadata = _object(pdf, pdf.catalog["Metadata"])
    packet = b"".join(metadata.stream)
    metadata.stream = [packet.replace(b"</rdf:RDF>", _ua_identification() + b"</rdf:RDF>", 1)]


def _ua_identification() -> bytes:
    return UA_IDENTIFICATION.read_bytes().strip()


def _margins_as_artifacts(pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 tags the margin boxes' text but hangs its elements outside the tree
    (weasyprint/pdf/tags.py: "could be included in tree as Artifact, but that's only allowed
    in PDF 2.0"). Each marked sequence whose element the tree cannot reach becomes an
    /Artifact sequence, and its slot in the parent tree is emptied."""
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    reachable = _reachable(pdf, root)
    nums = _object(pdf, root["ParentTree"])["Nums"]
    for index, page in enumerate(pdf.page_references):
        elements = nums[2 * index + 1]
        loose = {mcid for mcid, ref in enumerate(elements) if ref not in reachable}
        if not loose:
            continue
        stream = _object(pdf, _object(pdf, page)["Contents"])
        stream.stream = _unmark(stream.stream, loose)
        for mcid in loose:
            elements[mcid] = b"null"


def _reachable(pdf: pydyf.PDF, root: pydyf.Dictionary) -> set[bytes]:
    seen: set[bytes] = set()
    todo = list(root["K"])
    while todo:
        ref = todo.pop()
        if not isinstance(ref, bytes) or ref in seen:
            continue
        seen.add(ref)
        element = _object(pdf, ref)
        if isinstance(element, dict) and element.get("Type") == "/StructElem":
            todo.extend(element["K"])
    return seen


def _unmark(items: list, loose: set[int]) -> list:
    """`/Span <</MCID n>> BDC` → `/Artifact BMC` for each n in `loose`; the rest as it is."""
    out, unmarked = [], False
    for item in items:
        if isinstance(item, dict) and item.get("MCID") in loose:
            out[-1], unmarked = "/Artifact", True  # the tag, written just before its MCID
        elif unmarked and item == b"BDC":
            out.append(b"BMC")
            unmarked = False
        else:
            out.append(item)
    return out


def _object(pdf: pydyf.PDF, reference: bytes):
    return pdf.objects[int(reference.split()[0])]
