"""Removing a person from an organisation, as one of its admins does on the settings page.

Their row stays (their exports, schedules and audit lines name them) but is deactivated:
no login, no session, no API key works from then on (auth.views.authenticate,
auth.session.load_user, api.auth and the status poll all refuse a deactivated user, and
their keys are revoked as well). Their schedules are paused, not deleted: the work they
describe still matters to the organisation, and its admins, told by email which ones were
paused, resume, edit or delete them. The last admin cannot remove themselves: an
organisation without one could never change its settings again.
"""

from __future__ import annotations

import smtplib

from flask import current_app
from sqlalchemy import func, select, update

from portal import urls
from portal.exports.errors import ExportRequestError
from portal.exports.wording import counted
from portal.extensions import db
from portal.mailer import send_branded
from portal.models import ApiKey, Schedule, User, utcnow
from portal.vocabulary import ADMIN_ROLE

LAST_ADMIN = (
    "You are this organisation's only administrator, so you cannot remove yourself: make "
    "someone else an administrator first."
)


def active_members(organization_id: int) -> list[User]:
    return db.session.scalars(
        select(User)
        .where(User.organization_id == organization_id, User.deactivated_at.is_(None))
        .order_by(User.name, User.id)
    ).all()


def member_or_404(by: User, user_id: int) -> User | None:
    """An active member of `by`'s own organisation, else None (the route answers 404)."""
    return db.session.scalar(
        select(User).where(
            User.id == user_id,
            User.organization_id == by.organization_id,
            User.deactivated_at.is_(None),
        )
    )


def their_schedules(member: User, paused: bool | None = None) -> list[Schedule]:
    query = select(Schedule).where(Schedule.owner_id == member.id).order_by(Schedule.name)
    if paused is not None:
        query = query.where(Schedule.paused.is_(paused))
    return db.session.scalars(query).all()


def check_removable(member: User, by: User) -> None:
    if member.id == by.id and member.is_admin and other_admins(member) == 0:
        raise ExportRequestError(LAST_ADMIN, status=409)


def other_admins(member: User) -> int:
    return db.session.scalar(
        select(func.count()).where(
            User.organization_id == member.organization_id,
            User.role == ADMIN_ROLE,
            User.deactivated_at.is_(None),
            User.id != member.id,
        )
    )


def remove(member: User, by: User) -> list[Schedule]:
    """Deactivate `member`, revoke their keys and pause their running schedules, in one
    transaction (each schedule's claim fenced as schedules.service.fenced does); then tell
    the admins. Answers the schedules it paused."""
    check_removable(member, by)
    now = utcnow()
    paused = their_schedules(member, paused=False)
    db.session.execute(update(User).where(User.id == member.id).values(deactivated_at=now))
    db.session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == member.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=by.id)
    )
    db.session.execute(
        update(Schedule)
        .where(Schedule.id.in_([s.id for s in paused]))
        .values(paused=True, runs=Schedule.runs + 1)
    )
    db.session.commit()
    tell_admins(member, by, paused)
    return paused


def tell_admins(member: User, by: User, paused: list[Schedule]) -> None:
    """Every remaining admin gets one email naming the schedules paused. The removal stands
    if mail is down (it is logged): the schedules page shows them paused all the same."""
    admins = [u for u in active_members(member.organization_id) if u.is_admin]
    if not admins:
        return
    context = {"member": member, "by": by, "paused": paused, "schedules_url": urls.schedules_page()}
    try:
        send_branded(
            member.organization,
            "email/member_removed",
            context,
            subject=f"{member.name} was removed from {member.organization.name}"
            + (f": {counted(len(paused), 'scheduled export')} paused" if paused else ""),
            recipients=[admin.email for admin in admins],
        )
    except (OSError, smtplib.SMTPException):
        current_app.logger.warning("removal of user %s: admins not emailed", member.id)
