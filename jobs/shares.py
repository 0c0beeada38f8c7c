"""The email that tells a sharer their recipient has downloaded the export (mail lane)."""

from __future__ import annotations

from portal.extensions import db
from portal.models import ExportShare
from portal.shares import mail


def send_first_download_mail(share_id: int) -> str:
    row = db.session.get(ExportShare, share_id)
    if row is None:
        return "share gone"
    mail.send_first_download(row)
    return f"first-download mail sent to {row.shared_by.email}"
