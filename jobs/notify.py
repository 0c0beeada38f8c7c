"""Step 4: tell the requester. A mail job of its own, so a mail failure never fails an export.

RQ retries this job with backoff when SMTP is down. Every email is claimed on the row before
it is sent (and the claim undone if sending fails), so one export sends one "ready" email
however often this job runs: from the worker, from RQ's retry, or from the recovery pass
delivering what the row still owes.
"""

from __future__ import annotations

from portal import mailer
from portal.exports import mail_outbox
from portal.exports.attempts import load
from portal.mailer import MailKind


def send_export_mail(export_id: int, kind: str) -> str:
    kind = MailKind(kind)
    export = load(export_id)
    if not mail_outbox.claim_mail(export_id, kind):
        return f"{kind} mail already sent or no longer owed"
    try:
        mailer.send_export_mail(export, kind)
    except Exception:
        mail_outbox.release_mail(export_id, kind)
        raise
    mail_outbox.mail_sent(export_id, kind, export.requested_by.email)
    return f"{kind} mail sent to {export.requested_by.email}"
