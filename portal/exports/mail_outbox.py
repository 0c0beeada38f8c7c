"""The emails an export owes, kept on its row (`mail_due`) so none is lost or sent twice.

The UPDATE that changes an export's state also names the email that state owes; the email is
then handed to the mail queue, and a mail job claims it before sending it, so one export
sends one of each. A handover lost with Redis is handed over again by the recovery pass
(upkeep.deliver_owed_mail) once its lease runs out.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import update

from portal import queues
from portal.exports import events, states
from portal.extensions import db
from portal.mailer import MailKind
from portal.models import Export, ExportStatus, utcnow
from portal.webhooks import outbox
from portal.webhooks.catalogue import EventType

MAIL_FLAGS = {MailKind.READY: "ready_mail_sent_at", MailKind.EXPIRING: "expiring_mail_sent_at"}
# The emails a state owes through the row's outbox (mail_due), and the state that owes each.
OWED_IN = {MailKind.READY: ExportStatus.COMPLETED, MailKind.FAILURE: ExportStatus.FAILED}
# An owed email handed to the mail queue is handed over again if still owed after this long
# (its job was lost with Redis, say); mail jobs claim it, so a spare job sends nothing.
MAIL_HANDOVER_LEASE = timedelta(minutes=10)


def mail_owed(kind: MailKind) -> tuple:
    """The row still owes this email: its outbox names it and the state that owes it holds."""
    return (Export.mail_due == kind, Export.status == OWED_IN[kind])


def hand_over_mail(export_id: int, kind: MailKind) -> bool:
    """Enqueue an owed email now; with Redis down it stays owed and the recovery pass sends it."""
    try:
        queues.enqueue_mail(export_id, kind)
    except RedisError as exc:
        current_app.logger.warning("%s mail for export %s left owed: %s", kind, export_id, exc)
        return False
    db.session.execute(
        update(Export)
        .where(Export.id == export_id, Export.mail_due == kind)
        .values(mail_due_at=utcnow() + MAIL_HANDOVER_LEASE)
    )
    db.session.commit()
    return True


def claim_mail(export_id: int, kind: str) -> bool:
    """Take an email for sending before sending it; False when it was sent already or is no
    longer owed (the export was retried, revoked, ...), so one export sends one of each.

    Taking the expiry warning is also the moment the export is announced as expiring to
    webhooks, in the same transaction (outbox.emit sends it once per attempt of the export,
    though a failed send gives the warning back to be taken again)."""
    where, values = [Export.id == export_id], {}
    if kind in MAIL_FLAGS:
        column = getattr(Export, MAIL_FLAGS[kind])
        where.append(column.is_(None))
        values[column] = utcnow()
    if kind in OWED_IN:
        where.extend(mail_owed(kind))
        values.update({Export.mail_due: None, Export.mail_due_at: None})
    if kind == MailKind.EXPIRING:
        where.append(states.is_shown_as(ExportStatus.COMPLETED))
    changed = db.session.execute(update(Export).where(*where).values(values)).rowcount
    if changed and kind == MailKind.EXPIRING:
        outbox.emit(export_id, EventType.EXPIRING)
    db.session.commit()
    return bool(changed)


def mail_sent(export_id: int, kind: str, recipient: str) -> None:
    events.add(export_id, "mail_sent", f"{kind} email to {recipient}")
    db.session.commit()


def release_mail(export_id: int, kind: str) -> None:
    """Sending failed: undo the claim, so the retried mail job (or the recovery pass) sends it."""
    where, values = [Export.id == export_id], {}
    if kind in MAIL_FLAGS:
        values[getattr(Export, MAIL_FLAGS[kind])] = None
    if kind in OWED_IN:
        where.append(Export.mail_due.is_(None))
        values.update({Export.mail_due: kind, Export.mail_due_at: utcnow() + MAIL_HANDOVER_LEASE})
    db.session.execute(update(Export).where(*where).values(values))
    db.session.commit()
