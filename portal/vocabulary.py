"""The words for a record's stored codes and a user's role: which codes exist, what each is
called, and its CSS class suffix. Pages, emails, the API's schemas and the PDF renderer all
read them here; the render processes import this module without Flask, so it imports nothing
of Sitepack's."""

from __future__ import annotations

import re

# Each kind with the prefix of its references ("INS-0042").
RECORD_KINDS = {"inspection": "INS", "issue": "ISS", "task": "TSK", "ncr": "NCR"}
RECORD_STATUSES = ("open", "in_progress", "closed")
CHECK_RESULTS = ("pass", "fail", "n/a")
ADMIN_ROLE = "admin"  # sees and acts on every export and key of its organisation

KIND_LABELS = {"inspection": "Inspection", "issue": "Issue", "task": "Task", "ncr": "NCR"}
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "closed": "Closed"}
CHECK_LABELS = {"pass": "Pass", "fail": "Fail", "n/a": "N/A"}
# What a records export's zip holds, and the order its records come in (first: the default).
EXPORT_LAYOUTS = {"files": "One PDF per record", "combined": "One combined PDF", "both": "Both"}
EXPORT_ORDERS = {
    "kind": "Kind",
    "reference": "Reference",
    "status": "Status",
    "due": "Due date",
    "selection": "Selection order",
}
# What is done with a non-conforming item (an NCR's disposition).
DISPOSITION_LABELS = {
    "use_as_is": "Use as is",
    "rework": "Rework",
    "repair": "Repair",
    "reject": "Reject",
    "return_to_supplier": "Return to supplier",
}
NCR_DISPOSITIONS = tuple(DISPOSITION_LABELS)
# The export form's choice of record PDFs (its `archival` field), code → whether archival.
PDF_CHOICES = {"archival": True, "plain": False}
PDF_LABELS = {True: "Archival PDF/A, accessible", False: "Plain PDF"}
# Its `signed` field, shown when the organisation signs its exports: code → whether signed.
SIGN_CHOICES = {"signed": True, "unsigned": False}
SIGN_LABELS = {True: "Signed (PAdES)", False: "Not signed"}
_NOT_IN_A_CLASS = re.compile(r"[^a-z0-9_]+")


def kind_label(kind: str) -> str:
    """An unknown code shows as stored: a label never hides what the row says."""
    return KIND_LABELS.get(kind, str(kind))


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, str(status))


def check_label(result: str) -> str:
    return CHECK_LABELS.get(result, str(result))


def disposition_label(code: str) -> str:
    return DISPOSITION_LABELS.get(code, str(code))


def pdf_label(archival: bool) -> str:
    return PDF_LABELS[bool(archival)]


def sign_label(signed: bool) -> str:
    return SIGN_LABELS[bool(signed)]


def css_token(code: str) -> str:
    """A stored code as a class-name suffix, the same in pages and PDFs: `n/a` becomes `n-a`,
    `in_progress` stays."""
    return _NOT_IN_A_CLASS.sub("-", str(code).lower())


def is_admin(role: str) -> bool:
    return role == ADMIN_ROLE
