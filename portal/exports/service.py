"""What people do to exports: request, reuse, re-order, cancel.

This module and `attempts` (what a worker does to one) are the only code that changes Export
rows; this module is the only one that enqueues export jobs.

Every change is committed before a job is enqueued (a job never runs for a row that does not
exist), and every state change is a guarded UPDATE, so two processes racing cannot both win.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, insert, select, update

from portal.exports import events, queues, states
from portal.exports.errors import ExportRequestError
from portal.exports.links import LinkIn, checked
from portal.exports.states import Action
from portal.extensions import db
from portal.mailer import MailKind
from portal.models import (
    Export,
    ExportItem,
    ExportKind,
    ExportLink,
    ExportStatus,
    Project,
    Record,
    User,
    utcnow,
)
from portal.renders.entries import PAPER_SIZES
from portal.storage import cdn, keys
from portal.storage import client as s3
from portal.tenancy import MAX_IDS_PER_REQUEST, PUBLIC_ID
from portal.webhooks import outbox
from portal.webhooks.catalogue import EventType

NOT_IN_PROJECT = "Some of the selected records are not in this project."
BUNDLE_NAME_MAX = 120


@dataclass(frozen=True)
class ExportOptions:
    paper: str = "A4"
    include_originals: bool = False
    # A bundle's: its name, how long its link works, and whose prefix its zips go under
    # (keys.PORTAL_NAMESPACE, or keys.api_key_namespace of the API key that asked).
    name: str = ""
    ttl_hours: int | None = None
    namespace: str = ""

    @classmethod
    def parse(cls, paper: str | None, include_originals: bool) -> ExportOptions:
        paper = paper or "A4"
        if paper not in PAPER_SIZES:
            raise ExportRequestError(f"Paper size must be one of {', '.join(PAPER_SIZES)}.")
        return cls(paper=paper, include_originals=bool(include_originals))

    @classmethod
    def bundle(cls, name: str, ttl_hours: int | None, namespace: str) -> ExportOptions:
        """A bundle's options, checked: a name, and a lifetime of 1 hour up to the export TTL."""
        name, config = " ".join(name.split()), current_app.config
        ttl = config["BUNDLE_TTL_HOURS"] if ttl_hours is None else ttl_hours
        if not name:
            raise ExportRequestError("Give the bundle a name.")
        if len(name) > BUNDLE_NAME_MAX:
            raise ExportRequestError(f"The name is longer than {BUNDLE_NAME_MAX} characters.")
        if not 1 <= ttl <= config["EXPORT_TTL_HOURS"]:
            raise ExportRequestError(
                f"A bundle's link can last from 1 to {config['EXPORT_TTL_HOURS']} hours."
            )
        return cls(name=name, ttl_hours=ttl, namespace=namespace)

    @classmethod
    def of(cls, export: Export) -> ExportOptions:
        """What an export was requested with; a row older than an option gets its default."""
        stored = export.options or {}
        return cls(
            stored.get("paper", "A4"),
            bool(stored.get("include_originals")),
            stored.get("name", ""),
            stored.get("ttl_hours"),
            stored.get("namespace", ""),
        )

    @property
    def ttl(self) -> timedelta:
        """How long the zip can be downloaded once it is made."""
        hours = self.ttl_hours or current_app.config["EXPORT_TTL_HOURS"]
        return timedelta(hours=hours)

    def as_dict(self) -> dict:
        """Stored on the row and fingerprinted; a records export's keeps its two options."""
        stored = {"paper": self.paper, "include_originals": self.include_originals}
        if self.ttl_hours is not None:
            stored |= {"name": self.name, "ttl_hours": self.ttl_hours, "namespace": self.namespace}
        return stored


@dataclass(frozen=True)
class ExportRequest:
    export: Export
    reused: bool


def request_export(
    user: User,
    project: Project,
    record_ids: list[int],
    options: ExportOptions,
    alongside: Callable[[Export], object] | None = None,
    links: Sequence[LinkIn] = (),
) -> ExportRequest:
    """Create (or reuse an identical live) export of `record_ids`, then enqueue it.

    `alongside(export)` joins the transaction that accepts the request (the records page
    clears the selection the export was made from, the API stores the Idempotency-Key with
    the export it answers with), so it happens exactly when the request succeeds.
    `links`, if any, are fetched into the same zip after the PDFs (a handover pack: records
    and the documents kept elsewhere), checked as a bundle's are."""
    check_size(len(record_ids))
    extra = checked(links) if links else []
    return accept(user, project, record_ids, options, extra, alongside)


def accept(
    user: User,
    project: Project | None,
    record_ids: list[int],
    options: ExportOptions,
    links: Sequence[LinkIn],
    alongside: Callable[[Export], object] | None,
) -> ExportRequest:
    """The checked request, of records, links or both: an identical live export of the same
    person is answered instead; else, within the active limit, a new row, committed with
    `alongside`, then enqueued."""
    fingerprint = fingerprint_of(user.id, record_ids, options, links)
    with queues.request_lock(user.id):
        existing = live_export_with(user.id, fingerprint)
        if existing is None:
            check_active_limit(user.id)
            export = create_export(user, project, record_ids, options, fingerprint, links=links)
        if alongside:
            alongside(existing or export)
        db.session.commit()
    if existing:
        return ExportRequest(existing, reused=True)
    queues.enqueue_export(export)
    return ExportRequest(export, reused=False)


def saved_despite_queue(
    user: User, record_ids: list[int], options: ExportOptions, links: Sequence[LinkIn] = ()
) -> Export | None:
    """Redis failed inside request_export. Before the row was written (the lock) nothing was
    saved, and errors.handle_queue_down answers 503. After the commit (the enqueue, the lock's
    release) the row stays pending and the sweeper's lost-job recovery enqueues it once Redis
    is back; the same holds for an identical live export from before. None: nothing saved."""
    db.session.rollback()
    return live_export_with(user.id, fingerprint_of(user.id, record_ids, options, links))


def check_size(count: int) -> None:
    limit = current_app.config["EXPORT_MAX_RECORDS"]
    if count == 0:
        raise ExportRequestError("Select at least one record to export.")
    if count > limit:
        raise ExportRequestError(
            f"{count:,} records selected; one export can hold at most {limit:,}. "
            "Narrow the filter, or split the selection into several exports."
        )


def check_active_limit(user_id: int) -> None:
    limit = current_app.config["EXPORT_MAX_ACTIVE_PER_USER"]
    active = db.session.scalar(
        select(func.count()).where(
            Export.requested_by_id == user_id, Export.status.in_(states.LIVE)
        )
    )
    if active >= limit:
        raise ExportRequestError(
            f"You already have {active} exports in progress (the limit is {limit}). "
            "Wait for one to finish, or cancel one, then try again.",
            status=429,
        )


def fingerprint_of(
    user_id: int, record_ids: Iterable[int], options: ExportOptions, links: Sequence[LinkIn] = ()
) -> str:
    digest = hashlib.sha256(f"{user_id}|{json.dumps(options.as_dict(), sort_keys=True)}|".encode())
    digest.update(",".join(str(i) for i in sorted(record_ids)).encode())
    if links:
        digest.update(json.dumps([[link.url, link.name] for link in links]).encode())
    return digest.hexdigest()


def live_export_with(user_id: int, fingerprint: str) -> Export | None:
    return db.session.scalar(
        select(Export).where(
            Export.requested_by_id == user_id,
            Export.fingerprint == fingerprint,
            Export.status.in_(states.LIVE),
        )
    )


def create_export(
    user: User,
    project: Project | None,
    record_ids: list[int],
    options: ExportOptions,
    fingerprint: str,
    reordered_from: Export | None = None,
    links: Sequence[LinkIn] = (),
) -> Export:
    """The row with its records and links, in the caller's transaction. Without records it
    is a bundle; its total counts both, and picks its lane."""
    total = len(record_ids) + len(links)
    export = Export(
        organization_id=user.organization_id,
        project_id=project.id if project else None,
        kind=ExportKind.RECORDS if record_ids else ExportKind.BUNDLE,
        requested_by_id=user.id,
        reordered_from_id=reordered_from.id if reordered_from else None,
        options=options.as_dict(),
        fingerprint=fingerprint,
        status=ExportStatus.PENDING,
        queue_name=queues.lane_for(total),
        total=total,
    )
    db.session.add(export)
    db.session.flush()
    if record_ids:
        db.session.execute(
            insert(ExportItem), [{"export_id": export.id, "record_id": rid} for rid in record_ids]
        )
    if links:
        db.session.execute(
            insert(ExportLink),
            [
                {"export_id": export.id, "position": n, "url": link.url, "name": link.name}
                for n, link in enumerate(links)
            ],
        )
    events.add(export.id, "requested", request_detail(export, options), actor_id=user.id)
    if reordered_from:
        events.add(reordered_from.id, "reordered", f"as export {export.public_id}", user.id)
    return export


def request_detail(export: Export, options: ExportOptions) -> str:
    if export.is_bundle:
        return f"{export.count_label}, link for {options.ttl_hours} h"
    return f"{export.count_label}, {options.paper}" + (
        ", with original photos" if options.include_originals else ""
    )


def request_bundle(
    user: User,
    project: Project | None,
    name: str,
    asked: Sequence[LinkIn],
    ttl_hours: int | None = None,
    namespace: str = keys.PORTAL_NAMESPACE,
    alongside: Callable[[Export], object] | None = None,
) -> ExportRequest:
    """A bundle of the links `asked` for (each URL once, the first name given for it
    winning), fetched into one zip whose link works for `ttl_hours` (BUNDLE_TTL_HOURS when
    None). An identical live bundle of the same person is reused. `namespace` is
    keys.PORTAL_NAMESPACE, or for the API keys.api_key_namespace(the key's stored hash).
    `alongside(export)` joins the accepting transaction, as for request_export.
    Bad input raises ExportRequestError before anything is written."""
    options = ExportOptions.bundle(name, ttl_hours, namespace)
    unique = checked(asked)
    if project is not None and project.organization_id != user.organization_id:
        raise ExportRequestError("No such project.", status=404)
    return accept(user, project, [], options, unique, alongside)


def export_links(export: Export) -> list[LinkIn]:
    rows = db.session.execute(
        select(ExportLink.url, ExportLink.name)
        .where(ExportLink.export_id == export.id)
        .order_by(ExportLink.position)
    )
    return [LinkIn(url, name) for url, name in rows]


def records_in_project(project: Project, public_ids: list[str]) -> list[int]:
    """Resolve record public ids; any id outside the project (or tenant) rejects them all.

    The list is checked before it reaches a query: a malformed id matches no record (and a NUL
    byte would make PostgreSQL raise), and PostgreSQL takes at most 65,535 parameters."""
    if len(public_ids) > MAX_IDS_PER_REQUEST:
        raise ExportRequestError(
            f"{len(public_ids):,} records listed; one request may list at most "
            f"{MAX_IDS_PER_REQUEST:,}. To export more, use “Select all” on the records page "
            "and export the selection."
        )
    unique = set(public_ids)
    if not all(PUBLIC_ID.fullmatch(public_id) for public_id in unique):
        raise ExportRequestError(NOT_IN_PROJECT)
    rows = db.session.scalars(
        select(Record.id).where(
            Record.project_id == project.id,
            Record.organization_id == project.organization_id,
            Record.public_id.in_(unique),
        )
    ).all()
    if len(rows) != len(unique):
        raise ExportRequestError(NOT_IN_PROJECT)
    return list(rows)


def export_record_ids(export: Export) -> list[int]:
    return list(
        db.session.scalars(select(ExportItem.record_id).where(ExportItem.export_id == export.id))
    )


REFUSALS = {
    Action.CANCEL: ("This export has already finished.", 409),
    Action.RETRY: ("Only a failed export can be retried.", 409),
    Action.REORDER: ("Only an export that is no longer available can be re-ordered.", 409),
    Action.REVOKE: ("Only a ready export can be revoked.", 409),
    Action.DOWNLOAD: ("This export isn't finished yet; you'll get an email when it is.", 409),
}


def authorise(export: Export, action: Action, by: User) -> None:
    """Raise ExportRequestError unless `states.POLICY` lets `by` do `action` now.

    403 when the state allows the action but not to this person, 409 when the state does not
    allow it (yet), 410 for a download that will never be possible."""
    state = states.effective(export)
    if states.allows(state, action, states.role_of(by, export)):
        return
    if states.allowed_by_anyone(state, action):
        raise ExportRequestError(role_refusal(export), status=403)
    if action == Action.DOWNLOAD and state in states.GONE:
        raise ExportRequestError("This export is no longer available to download.", status=410)
    if action == Action.REORDER and states.allowed_by_anyone(state, Action.RETRY):
        raise ExportRequestError(
            "A failed export is retried as itself, not re-ordered: select Retry.", status=409
        )
    raise ExportRequestError(*REFUSALS[action])


def role_refusal(export: Export) -> str:
    if export.status == ExportStatus.REVOKED:
        reason = f" ({export.revoke_reason})" if export.revoke_reason else ""
        return (
            f"An administrator withdrew this export{reason}; only an administrator "
            "of your organisation can re-order it."
        )
    return "Only an administrator can do that."


def newer_export(export: Export) -> Export | None:
    """The export this one was re-ordered as, if it was."""
    return db.session.scalar(
        select(Export).where(Export.reordered_from_id == export.id).order_by(Export.id.desc())
    )


def reorder(export: Export, by: User) -> ExportRequest:
    """A new export with the same records and options, pointing at the old one.

    An export that was re-ordered already answers with that re-order: one old export, one
    new one, however many tabs or admins press the button."""
    authorise(export, Action.REORDER, by)
    if (newer := newer_export(export)) is not None:
        return ExportRequest(newer, reused=True)
    requester = export.requested_by
    record_ids, links = export_record_ids(export), export_links(export)
    options = ExportOptions.of(export)
    fingerprint = fingerprint_of(requester.id, record_ids, options, links)
    with queues.request_lock(requester.id):
        existing = live_export_with(requester.id, fingerprint)
        if existing:
            return ExportRequest(existing, reused=True)
        new = create_export(
            requester, export.project, record_ids, options, fingerprint, export, links
        )
        if by.id != requester.id:
            events.add(new.id, "admin_reorder", f"on behalf of {requester.email}", by.id)
        db.session.commit()
    queues.enqueue_export(new)
    return ExportRequest(new, reused=False)


def retry(export: Export, by: User) -> None:
    """A failed export runs again as the same export: failed → pending, then enqueued."""
    authorise(export, Action.RETRY, by)
    changed = db.session.execute(
        update(Export)
        .where(Export.id == export.id, Export.status.in_(states.sources_for(Action.RETRY)))
        .values(
            status=states.LEADS_TO[Action.RETRY],
            error=None,
            finished_at=None,
            requeues=0,
            done=0,
            warnings=0,
            # A rebuilt zip is news again (a failed export may have been ready once, before
            # its zip went missing): its ready and expiry emails are owed afresh.
            ready_mail_sent_at=None,
            expiring_mail_sent_at=None,
            mail_due=None,
            mail_due_at=None,
        )
    ).rowcount
    if changed:
        events.add(export.id, "retried", actor_id=by.id, state=states.LEADS_TO[Action.RETRY])
    db.session.commit()
    if not changed:
        raise ExportRequestError(*REFUSALS[Action.RETRY])
    queues.enqueue_export(export)


def cancel(export: Export, by: User) -> None:
    """Pending or processing → cancelled. The worker sees it at its next heartbeat and stops."""
    authorise(export, Action.CANCEL, by)
    now = utcnow()
    changed = db.session.execute(
        update(Export)
        .where(Export.id == export.id, Export.status.in_(states.sources_for(Action.CANCEL)))
        .values(status=states.LEADS_TO[Action.CANCEL], cancel_requested_at=now, finished_at=now)
    ).rowcount
    if changed:
        events.add(export.id, ExportStatus.CANCELLED, actor_id=by.id, state=ExportStatus.CANCELLED)
    db.session.commit()
    if not changed:
        raise ExportRequestError(*REFUSALS[Action.CANCEL])


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


REVOKE_REASON_MAX = 500


def revoke(export: Export, by: User, reason: str = "") -> None:
    """An admin withdraws a ready export: completed → revoked, then its zip and edge copies go.

    The row changes first, so the download route refuses at once even if S3 or the CDN is
    slow or down; a zip left behind by a failed delete is removed by `flask storage reconcile`.
    The reason, if given, is shown to the requester on the export's page.
    """
    authorise(export, Action.REVOKE, by)
    reason = " ".join(reason.split())[:REVOKE_REASON_MAX]
    if not end_completed(export, ExportStatus.REVOKED, actor_id=by.id, reason=reason):
        raise ExportRequestError(*REFUSALS[Action.REVOKE])


def end_completed(
    export: Export, status: ExportStatus, actor_id: int | None = None, reason: str = ""
) -> bool:
    """completed → expired or revoked, recorded, then every zip of it deleted; False if it
    wasn't completed any more (another process got there first)."""
    keys = export.object_keys
    changed = db.session.execute(
        update(Export)
        .where(Export.id == export.id, Export.status.in_(states.sources_of(status)))
        .values(status=status, revoke_reason=reason or None)
    ).rowcount
    if changed:
        zips = "zip" if len(keys) == 1 else f"{len(keys)} zips"
        detail = f"{zips} deleted from storage" + (f"; reason: {reason}" if reason else "")
        events.add(export.id, status, detail, actor_id=actor_id, state=status)
    db.session.commit()
    if changed:
        discard_objects(keys)
    return bool(changed)


def discard_objects(keys: list[str]) -> None:
    """Delete an export's zips and invalidate their CDN paths; failures are logged, not
    raised, because the database change they follow has already been committed."""
    for key in keys:
        try:
            s3.delete(key)
        except (BotoCoreError, ClientError) as exc:
            current_app.logger.warning("could not delete %s (reconcile will): %s", key, exc)
    cdn.invalidate(keys)


def missing_parts_reason(missing: list[int], of: int) -> str:
    """What the export's page says when reconcile found zips of a ready export gone."""
    if of == 1:
        return "The zip was missing from storage; select Retry to build it again."
    numbers = ", ".join(str(n) for n in missing)
    which = f"Part {numbers} of {of} was" if len(missing) == 1 else f"Parts {numbers} of {of} were"
    return f"{which} missing from storage; select Retry to build the export again."


def fail_missing_parts(export: Export, missing: list[int]) -> bool:
    """A ready export with any zip not in the bucket: failed, so nobody gets a broken link.

    Guarded by the attempt too (each attempt writes its own keys): a row revoked, expired or
    rebuilt since it was checked is left alone.
    """
    reason = missing_parts_reason(missing, len(export.parts))
    changed = db.session.execute(
        update(Export)
        .where(
            Export.id == export.id,
            Export.status == ExportStatus.COMPLETED,
            Export.attempt == export.attempt,
        )
        .values(status=ExportStatus.FAILED, error=reason, finished_at=utcnow())
    ).rowcount
    if changed:
        detail = f"{reason} (found by storage reconcile)"
        events.add(export.id, ExportStatus.FAILED, detail, state=ExportStatus.FAILED)
    db.session.commit()
    return bool(changed)
