"""Making, revoking and using external shares.

A share is made only of a completed export, by someone states.POLICY lets share it, to
addresses the organisation's policy admits, for no longer than the export lives. The emails
go out before the rows are committed, so a share whose email could not be sent does not
exist; the token and passcode never leave the request except in those emails.

A link is usable while its row is not revoked or past its expiry, its export is still
completed and the policy still admits its address; anything else reads exactly like a token
that never existed (`usable` answers None), so the page tells a guesser nothing.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app, request
from redis.exceptions import RedisError
from sqlalchemy import update

from portal import queues
from portal.auth.passwords import hash_password, verify_password
from portal.exports import service as exports
from portal.exports import states
from portal.exports.errors import ExportRequestError
from portal.exports.states import Action
from portal.extensions import db
from portal.models import (
    Export,
    ExportShare,
    ShareAccess,
    ShareAccessKind,
    User,
    utcnow,
)
from portal.models.lengths import EMAIL_MAX, SHARE_MESSAGE_MAX, USER_AGENT_MAX
from portal.shares import mail, policy, tokens

ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@" + policy.DOMAIN.pattern)
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAIL_DOWN = "The share emails could not be sent, so nothing was shared. Try again shortly."


@dataclass(frozen=True)
class ShareAsked:
    """A share form, read and checked: who gets a link, the note, until when, passcode or not."""

    emails: list[str]
    message: str
    expires_at: datetime
    with_passcode: bool


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines; each once, domain lower-cased."""
    found = []
    for word in re.split(r"[\s,;]+", (text or "").strip()):
        if not word:
            continue
        local, _, domain = word.rpartition("@")
        email = f"{local}@{domain.lower()}"
        if len(email) > EMAIL_MAX or not ADDRESS.fullmatch(email):
            raise ExportRequestError(f"“{word[:80]}” is not an email address.")
        if email not in found:
            found.append(email)
    if not found:
        raise ExportRequestError("Name at least one email address to share with.")
    most = current_app.config["SHARE_MAX_RECIPIENTS"]
    if len(found) > most:
        raise ExportRequestError(f"One share can go to at most {most} addresses.")
    return found


def link_expiry(export: Export, day: str) -> datetime:
    """The end of `day` (UTC), but never after the export itself expires; empty: the export's."""
    if not day:
        return export.expires_at
    try:
        if not ISO_DAY.fullmatch(day):
            raise ValueError(day)
        until = datetime.combine(date.fromisoformat(day), time()) + timedelta(days=1)
    except ValueError:
        raise ExportRequestError("The expiry date must be a date such as 2030-01-31.") from None
    if until <= utcnow():
        raise ExportRequestError("The expiry date has passed; pick today or a later day.")
    return min(until, export.expires_at)


def read_form(export: Export, form) -> ShareAsked:
    message = (form.get("message") or "").strip()
    if len(message) > SHARE_MESSAGE_MAX:
        raise ExportRequestError(f"The message may be at most {SHARE_MESSAGE_MAX} characters.")
    return ShareAsked(
        emails=parse_recipients(form.get("emails", "")),
        message=message,
        expires_at=link_expiry(export, (form.get("expires_on") or "").strip()),
        with_passcode="passcode" in form,
    )


def share(
    export: Export, by: User, asked: ShareAsked, form_token: str | None = None
) -> list[ExportShare]:
    """One link per address, its email (and passcode email) sent, then the rows committed.
    The first row carries the form's one-time token and is flushed before any email goes:
    a form posted twice at once fails there, on the token's unique index, having sent none."""
    exports.authorise(export, Action.SHARE, by)
    rule = policy.of(export.organization_id)
    for email in asked.emails:
        refused = policy.refusal(rule, email)
        if refused:
            raise ExportRequestError(refused, status=403)
    made = [new_share(export, by, email, asked) for email in asked.emails]
    made[0][0].form_token = form_token
    db.session.flush()
    try:
        for row, token, passcode in made:
            mail.send_link(row, token)
            if passcode:
                mail.send_passcode(row, passcode)
    except (OSError, smtplib.SMTPException):
        db.session.rollback()
        current_app.logger.warning("share of export %s not sent: mail down", export.public_id)
        raise ExportRequestError(MAIL_DOWN, status=503, retry_after=60) from None
    db.session.commit()
    return [row for row, _, _ in made]


def new_share(
    export: Export, by: User, email: str, asked: ShareAsked
) -> tuple[ExportShare, str, str | None]:
    token = tokens.new_token()
    passcode = tokens.new_passcode() if asked.with_passcode else None
    row = ExportShare(
        organization_id=export.organization_id,
        export_id=export.id,
        shared_by_id=by.id,
        email=email,
        message=asked.message,
        token_digest=tokens.digest(token),
        passcode_hash=hash_password(tokens.normal_passcode(passcode)) if passcode else None,
        expires_at=asked.expires_at,
    )
    db.session.add(row)
    return row, token, passcode


def revoke(row: ExportShare, by: User) -> None:
    """Whoever may share the export may take any of its links back, whatever its state."""
    if states.role_of(by, row.export) not in states.ORGANISATION:
        raise ExportRequestError("Only its requester or an administrator can do that.", 403)
    db.session.execute(
        update(ExportShare)
        .where(ExportShare.id == row.id, ExportShare.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()


def usable(token: str) -> ExportShare | None:
    """The share this token opens now, or None, whatever the reason."""
    if not tokens.well_formed(token):
        return None
    row = db.session.scalar(
        db.select(ExportShare).where(ExportShare.token_digest == tokens.digest(token))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if states.effective(row.export) != states.COMPLETED:
        return None
    if policy.refusal(policy.of(row.organization_id), row.email):
        return None
    return row


def passcode_ok(row: ExportShare, typed: str | None) -> bool:
    if row.passcode_hash is None:
        return True
    return bool(typed) and verify_password(row.passcode_hash, tokens.normal_passcode(typed))


def record(row: ExportShare, kind: ShareAccessKind, part: int | None = None) -> None:
    db.session.add(
        ShareAccess(
            share_id=row.id,
            kind=kind,
            part=part,
            ip_address=request.remote_addr or "unknown",
            user_agent=(request.user_agent.string or "")[:USER_AGENT_MAX],
        )
    )


def downloaded(row: ExportShare, parts: list[int]) -> None:
    """Audit each zip handed out; the first download of the share tells the sharer, once
    (a guarded UPDATE: of two first downloads at the same moment one alone wins)."""
    for number in parts:
        record(row, ShareAccessKind.DOWNLOADED, number)
    first = db.session.execute(
        update(ExportShare)
        .where(ExportShare.id == row.id, ExportShare.first_downloaded_at.is_(None))
        .values(first_downloaded_at=utcnow())
    )
    db.session.commit()
    if first.rowcount == 1:
        try:
            queues.enqueue_share_notice(row.id)
        except RedisError:
            current_app.logger.warning("first-download notice of share %s not queued", row.id)
