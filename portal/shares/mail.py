"""The emails of a share: the link to the recipient, the passcode in an email of its own (so
one intercepted message opens nothing), and the sharer's notice of the first download.

The recipient has no account: their email links to the share's landing page, never to S3
and never to a page that asks for a login."""

from __future__ import annotations

from portal import urls
from portal.exports import wording
from portal.mailer import send_branded
from portal.models import ExportShare


def _send(subject: str, to: str, template: str, **context) -> None:
    """In the sharing organisation's look (logo, colour, footer line), as its own emails."""
    organization = context["export"].requested_by.organization
    send_branded(organization, f"email/{template}", context, subject=subject, recipients=[to])


def _context(row: ExportShare) -> dict:
    export = row.export
    return {
        "share": row,
        "export": export,
        "title": wording.title(export),
        "sharer": row.shared_by,
        "organisation": export.requested_by.organization.name,
    }


def send_link(row: ExportShare, token: str) -> None:
    context = _context(row)
    subject = f"{row.shared_by.name} of {context['organisation']} shared files with you"
    _send(subject, row.email, "share_link", link=urls.share_landing(token), **context)


def send_passcode(row: ExportShare, passcode: str) -> None:
    context = _context(row)
    subject = f"Your passcode for the files {row.shared_by.name} shared"
    _send(subject, row.email, "share_passcode", passcode=passcode, **context)


def send_first_download(row: ExportShare) -> None:
    context = _context(row)
    subject = f"{row.email} downloaded your export"
    page_url = urls.export_page(row.export.public_id)
    _send(subject, row.shared_by.email, "share_downloaded", page_url=page_url, **context)
