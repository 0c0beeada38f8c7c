"""What an export is asked for, as plain values: its options, its links, their limits and the
fingerprint that finds an identical live export.

A leaf: no request, no database, so the web side and the worker read the same rules (the
worker reads an export's paper and lifetime from here, never from the web service).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app

from portal.exports.errors import ExportRequestError
from portal.renders.entries import DEFAULT_PAPER, PAPER_SIZES, Look
from portal.vocabulary import EXPORT_LAYOUTS, EXPORT_ORDERS, PDF_CHOICES, SIGN_CHOICES

if TYPE_CHECKING:
    from portal.models import Export, Organization

# An export's name: a bundle's, or the title of a records export (pages, emails, its zip).
NAME_MAX = 120
DEFAULT_LAYOUT, DEFAULT_ORDER = next(iter(EXPORT_LAYOUTS)), next(iter(EXPORT_ORDERS))
# The marks, embeddings, overrides and isolates of Unicode's bidirectional algorithm.
BIDI_CONTROLS = frozenset(
    map(chr, [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
)
MAX_URL_CHARS = 2048
MAX_NAME_CHARS = 255


@dataclass(frozen=True)
class LinkIn:
    """One link asked for: its URL and, optionally, the name it should have in the zip
    (folders allowed: "Drawings/A-101 rev C.pdf")."""

    url: str
    name: str | None = None


@dataclass(frozen=True)
class PdfPolicy:
    """What an organisation's exports get unless a request says otherwise: archival record
    PDFs (its setting, else the deployment's PDF_ARCHIVAL), and whether they may be signed
    (those that may are, by default)."""

    archival: bool
    signing: bool

    @classmethod
    def of(cls, organization: Organization | None) -> PdfPolicy:
        deployment = current_app.config["PDF_ARCHIVAL"]
        if organization is None:
            return cls(deployment, False)
        archival = organization.pdf_archival
        return cls(deployment if archival is None else archival, organization.sign_exports)

    def signed(self, asked: bool | None) -> bool:
        if asked and not self.signing:
            raise ExportRequestError(
                "Your organisation does not sign its exports: an admin can turn signing on "
                "in the organisation settings."
            )
        return self.signing if asked is None else asked

    def applied(
        self, options: ExportOptions, archival: bool | None = None, signed: bool | None = None
    ) -> ExportOptions:
        """`options` with their PDF choices made: those asked for, the policy's where none
        was (the export form's defaults, and every choice of a schedule's run)."""
        archival = self.archival if archival is None else archival
        return replace(options, archival=archival, signed=self.signed(signed))


@dataclass(frozen=True)
class ExportOptions:
    paper: str = DEFAULT_PAPER
    include_originals: bool = False
    # PDF/A-3a + PDF/UA-1 record PDFs; a request that does not say gets PDF_ARCHIVAL.
    archival: bool = Look().archival
    # The index and the combined PDF signed (PAdES) with the organisation's certificate.
    signed: bool = False
    # Its name (a records export's title, a bundle's name); then a bundle's: how long its
    # link works, and whose prefix its zips go under (keys.PORTAL_NAMESPACE, or
    # keys.api_key_namespace of the API key that asked).
    name: str = ""
    ttl_hours: int | None = None
    namespace: str = ""
    # How a records export's records were chosen, in words, for its index ("" by hand).
    selection: str = ""
    # What its zip holds (vocabulary.EXPORT_LAYOUTS) and its records' order (EXPORT_ORDERS).
    layout: str = DEFAULT_LAYOUT
    order: str = DEFAULT_ORDER
    # A re-order "as they were": each record's PDF is the one its earlier export held, read
    # from the render cache by the fingerprint its export item carries, never rendered anew.
    as_they_were: bool = False

    @classmethod
    def parse(
        cls, paper: str | None, include_originals: bool, title: str | None, default_title: str,
        layout: str | None = None, order: str | None = None, archival: bool | None = None,
        signed: bool | None = None, policy: PdfPolicy | None = None,
    ) -> ExportOptions:  # fmt: skip
        """A records export's options, checked; a blank title is the default one, and a PDF
        choice not made is the organisation's `policy`."""
        paper = paper or DEFAULT_PAPER
        if paper not in PAPER_SIZES:
            raise ExportRequestError(f"Paper size must be one of {', '.join(PAPER_SIZES)}.")
        layout, order = layout or DEFAULT_LAYOUT, order or DEFAULT_ORDER
        if layout not in EXPORT_LAYOUTS or order not in EXPORT_ORDERS:
            raise ExportRequestError(
                f"Layout must be one of {', '.join(EXPORT_LAYOUTS)}; "
                f"order one of {', '.join(EXPORT_ORDERS)}."
            )
        if policy is None:  # a caller with no organisation: the deployment's, unsigned
            policy = PdfPolicy.of(None) if archival is None else PdfPolicy(archival, False)
        name = checked_name(title, "title") or default_title[:NAME_MAX]
        asked = cls(paper=paper, include_originals=bool(include_originals), name=name,
                    layout=layout, order=order)  # fmt: skip
        return policy.applied(asked, archival, signed)

    @staticmethod
    def archival_choice(code: str | None) -> bool | None:
        """The export form's `archival` field: None when it was not sent (the default)."""
        if code is None:
            return None
        if code not in PDF_CHOICES:
            raise ExportRequestError(f"Record PDFs must be one of {', '.join(PDF_CHOICES)}.")
        return PDF_CHOICES[code]

    @staticmethod
    def signed_choice(code: str | None) -> bool | None:
        """The export form's `signed` field: None when it was not sent (the default)."""
        if code is None:
            return None
        if code not in SIGN_CHOICES:
            raise ExportRequestError(f"Signature must be one of {', '.join(SIGN_CHOICES)}.")
        return SIGN_CHOICES[code]

    @classmethod
    def bundle(cls, name: str, ttl_hours: int | None, namespace: str) -> ExportOptions:
        """A bundle's options, checked: a name, and a lifetime of 1 hour up to the export TTL."""
        name, config = checked_name(name, "name"), current_app.config
        ttl = config["BUNDLE_TTL_HOURS"] if ttl_hours is None else ttl_hours
        if not name:
            raise ExportRequestError("Give the bundle a name.")
        if not 1 <= ttl <= config["EXPORT_TTL_HOURS"]:
            raise ExportRequestError(
                f"A bundle's link can last from 1 to {config['EXPORT_TTL_HOURS']} hours."
            )
        return cls(name=name, ttl_hours=ttl, namespace=namespace)

    @classmethod
    def of(cls, export: Export) -> ExportOptions:
        return cls.from_stored(export.options)

    @classmethod
    def from_stored(cls, stored: dict | None) -> ExportOptions:
        """What an export was requested with, from its row's `options` column; a row older
        than an option gets its default (one older than archival PDFs was made plain)."""
        stored = stored or {}
        return cls(
            stored.get("paper", DEFAULT_PAPER),
            bool(stored.get("include_originals")),
            bool(stored.get("archival", False)),
            bool(stored.get("signed", False)),
            stored.get("name", ""),
            stored.get("ttl_hours"),
            stored.get("namespace", ""),
            stored.get("selection", ""),
            stored.get("layout", DEFAULT_LAYOUT),
            stored.get("order", DEFAULT_ORDER),
            bool(stored.get("as_they_were")),
        )

    @property
    def per_record_files(self) -> bool:
        """Its zip holds a PDF per record (layouts "files" and "both")."""
        return self.layout != "combined"

    @property
    def combined(self) -> bool:
        """Its zip holds one combined PDF, in volumes (layouts "combined" and "both")."""
        return self.layout != DEFAULT_LAYOUT

    @property
    def look(self) -> Look:
        """What the record PDFs are rendered in, and cached by."""
        return Look(self.paper, self.archival)

    @property
    def ttl(self) -> timedelta:
        """How long the zip can be downloaded once it is made."""
        hours = self.ttl_hours or current_app.config["EXPORT_TTL_HOURS"]
        return timedelta(hours=hours)

    def as_dict(self) -> dict:
        """Stored on the row and fingerprinted: a records export's options (PDF choices
        included), or a bundle's name, lifetime and namespace besides the first two (it
        renders no PDF)."""
        stored = {"paper": self.paper, "include_originals": self.include_originals}
        if self.name:
            stored["name"] = self.name
        if self.selection:
            stored["selection"] = self.selection
        if (self.layout, self.order) != (DEFAULT_LAYOUT, DEFAULT_ORDER):
            stored |= {"layout": self.layout, "order": self.order}
        if self.as_they_were:
            stored["as_they_were"] = True
        if self.ttl_hours is not None:
            return stored | {"ttl_hours": self.ttl_hours, "namespace": self.namespace}
        stored["archival"] = self.archival
        if self.signed:  # absent when unsigned: older exports keep their fingerprints
            stored["signed"] = True
        return stored


def checked_name(text: str | None, what: str) -> str:
    """An export's name as typed, on one line ("" when blank): at most NAME_MAX characters,
    no control character (forms and API bodies were screened already, portal/screening.py;
    this guards the service's other callers too) and no bidirectional override, which would
    make the name, and its zip's, read other than it is ("report‮fdp.zip")."""
    name = " ".join((text or "").split())
    if len(name) > NAME_MAX:
        raise ExportRequestError(f"The {what} is longer than {NAME_MAX} characters.")
    if any(unicodedata.category(ch) in ("Cc", "Cs") or ch in BIDI_CONTROLS for ch in name):
        raise ExportRequestError(f"The {what} has a control character; remove it.")
    return name


def fingerprint_of(
    user_id: int, record_ids: Iterable[int], options: ExportOptions, links: Sequence[LinkIn] = ()
) -> str:
    digest = hashlib.sha256(f"{user_id}|{json.dumps(options.as_dict(), sort_keys=True)}|".encode())
    digest.update(",".join(str(i) for i in sorted(record_ids)).encode())
    if links:
        digest.update(json.dumps([[link.url, link.name] for link in links]).encode())
    return digest.hexdigest()
