"""The emails Sitepack sends, each from a pair of templates (text and HTML).

Links come from portal/urls.py: the portal on PUBLIC_BASE_URL, never S3. The sender is a
no-reply address, so replies go to SUPPORT_EMAIL, and without one no email asks for a reply.
Each email wears its organisation's branding (portal/branding): the accent as the header's
colour, the logo travelling inline with the message (`cid:`, as no mail client should fetch
an image), the footer line under the footer.
"""

from __future__ import annotations

from enum import StrEnum

from flask import current_app, render_template
from flask_mail import Message

from portal import urls
from portal.branding import store
from portal.branding.brand import DEFAULT_ACCENT
from portal.exports import wording
from portal.exports.parts import parts_of
from portal.extensions import mail
from portal.models import Export, ExportStatus, Organization

EMAIL_HEADER = "#17202b"  # Sitepack's own header colour, for an organisation that chose none
LOGO_CID = "logo@sitepack"


def export_links(export: Export) -> dict:
    """The export's page and its download; for an export of several zips, each part's label
    and link too (`?part=N`), in order. One zip: no part links, and the emails read as ever."""
    public_id = export.public_id
    parts = parts_of(export)
    split = len(parts) > 1
    return {
        "page_url": urls.export_page(public_id),
        "download_url": urls.export_download(public_id),
        "part_links": [(part.label, urls.export_download(public_id, part.number)) for part in parts]
        if split
        else [],
    }


class MailKind(StrEnum):
    """The emails about one export; each has a subject and a template pair."""

    READY = "ready"
    FAILURE = "failure"
    EXPIRING = "expiring"

    @classmethod
    def _missing_(cls, value):
        """Mail jobs queued before the failure email had its own name carry the state's."""
        return cls.FAILURE if value == ExportStatus.FAILED else None


# Named by the export's title, which says what it holds (the default one counts its records).
SUBJECTS = {
    MailKind.READY: "“{title}” is ready",
    MailKind.FAILURE: "“{title}” could not be completed",
    MailKind.EXPIRING: "“{title}” expires tomorrow",
}
TEMPLATES = {
    MailKind.READY: "email/export_ready",
    MailKind.FAILURE: "email/export_failed",
    MailKind.EXPIRING: "email/export_expiring",
}


# Links listed, with why they gave no file, in one email; the export's page lists them all.
LINK_ERRORS_MAILED = 20


def failed_links(export: Export) -> dict:
    """The first LINK_ERRORS_MAILED links that gave no file, and how many more did."""
    failed = [link for link in export.links if link.error] if export.files_failed else []
    return {
        "failed_links": failed[:LINK_ERRORS_MAILED],
        "more_failed_links": len(failed[LINK_ERRORS_MAILED:]),
    }


def send_export_mail(export: Export, kind: MailKind) -> None:
    support = current_app.config["SUPPORT_EMAIL"]
    context = {
        "export": export,
        "user": export.requested_by,
        "support_email": support,
        **export_links(export),
        **failed_links(export),
    }
    send_branded(
        export.requested_by.organization,
        TEMPLATES[kind],
        context,
        subject=SUBJECTS[kind].format(title=wording.title(export)),
        recipients=[export.requested_by.email],
        reply_to=support,
    )


def send_branded(organization: Organization, template: str, context: dict, **headers) -> None:
    """Sends the template pair (`template`.txt and .html) in the organisation's look."""
    brand = store.of(organization)
    logo = store.logo_bytes(brand)
    look = {
        "header": EMAIL_HEADER if brand.accent == DEFAULT_ACCENT else brand.accent,
        "logo_cid": LOGO_CID if logo else None,
        "footer": brand.footer,
        "organisation": organization.name,
    }
    message = Message(
        body=render_template(f"{template}.txt", look=look, **context),
        html=render_template(f"{template}.html", look=look, **context),
        **headers,
    )
    if logo:
        message.attach("logo.png", "image/png", logo, "inline", {"Content-ID": f"<{LOGO_CID}>"})
    mail.send(message)
