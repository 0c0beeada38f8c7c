"""What people do to exports: request, reuse, re-order, redo what failed, retry, cancel, revoke.

The code that changes Export rows is this module (people's requests and actions), `attempts`
(a worker's fenced writes), `mail_outbox` (the emails a row owes), `endings` (how a
completed export ends) and `leftovers` (the mark of uploads still to abort). Jobs are
enqueued only by portal/queues.py, here for what people ask and by `upkeep` for recovery;
no job imports this module.

Every change is committed before a job is enqueued (a job never runs for a row that does not
exist), and every state change is a guarded UPDATE, so two processes racing cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import aliased

from portal import queues
from portal.exports import attempts, changes, events, failed, states, wording
from portal.exports.endings import end_completed
from portal.exports.errors import ExportRequestError
from portal.exports.links import checked
from portal.exports.options import NAME_MAX, ExportOptions, LinkIn, fingerprint_of
from portal.exports.states import Action
from portal.extensions import db
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
from portal.storage import keys
from portal.tenancy import MAX_IDS_PER_REQUEST, PUBLIC_ID
from portal.vocabulary import pdf_label

NOT_IN_PROJECT = "Some of the selected records are not in this project."
NOT_IN_PROJECTS = "Some of the selected records are not in these projects."


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


def default_title(project: Project | None, count: int, user: User) -> str:
    """The title of an export nobody named: its project (the organisation's name for an
    export across projects), its size and the day it was asked."""
    name = project.name if project else user.organization.name
    return wording.default_title(name, count, utcnow().date())


def check_size(count: int) -> None:
    limit = current_app.config["EXPORT_MAX_RECORDS"]
    if count == 0:
        raise ExportRequestError("Select at least one record to export.")
    if count > limit:
        raise ExportRequestError(
            f"{count:,} records selected; one export can hold at most {limit:,}. "
            "Narrow the filter, or split the selection into several exports."
        )


# Seconds a client over the active-exports limit is told to wait before asking again.
ACTIVE_LIMIT_RETRY_AFTER = 60


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
            retry_after=ACTIVE_LIMIT_RETRY_AFTER,
        )


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
    completes: Export | None = None,
) -> Export:
    """The row with its records and links, in the caller's transaction. Without records it
    is a bundle; its total counts both, and picks its lane. `completes`: the export whose
    failed records and links these are (redo)."""
    total = len(record_ids) + len(links)
    export = Export(
        organization_id=user.organization_id,
        project_id=project.id if project else None,
        kind=ExportKind.RECORDS if record_ids else ExportKind.BUNDLE,
        requested_by_id=user.id,
        reordered_from_id=reordered_from.id if reordered_from else None,
        completes_id=completes.id if completes else None,
        options=options.as_dict(),
        fingerprint=fingerprint,
        status=ExportStatus.PENDING,
        queue_name=queues.lane_for(total),
        total=total,
        files=len(links),
    )
    db.session.add(export)
    db.session.flush()
    if record_ids:
        db.session.execute(
            insert(ExportItem),
            [
                {"export_id": export.id, "record_id": rid, "position": n}
                for n, rid in enumerate(record_ids)
            ],
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
    if completes:
        events.add(completes.id, "redone", f"what failed, as export {export.public_id}", user.id)
    return export


def request_detail(export: Export, options: ExportOptions) -> str:
    if export.is_bundle:
        return f"{wording.count_label(export)}, link for {options.ttl_hours} h"
    return (
        f"{wording.count_label(export)}, {options.paper}, {pdf_label(options.archival)}"
        + (", signed" if options.signed else "")
        + (", with original photos" if options.include_originals else "")
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


def records_in_projects(projects: Sequence[Project], public_ids: list[str]) -> list[int]:
    """Resolve record public ids; any id outside the projects (all of one organisation, as
    the caller found them) rejects them all.

    The list is checked before it reaches a query: a malformed id matches no record (and a NUL
    byte would make PostgreSQL raise), and PostgreSQL takes at most 65,535 parameters."""
    if len(public_ids) > MAX_IDS_PER_REQUEST:
        raise ExportRequestError(
            f"{len(public_ids):,} records listed; one request may list at most "
            f"{MAX_IDS_PER_REQUEST:,}. To export more, use “Select all” on the records page "
            "and export the selection."
        )
    unique = set(public_ids)
    refusal = NOT_IN_PROJECT if len(projects) == 1 else NOT_IN_PROJECTS
    if not all(PUBLIC_ID.fullmatch(public_id) for public_id in unique):
        raise ExportRequestError(refusal)
    found = dict(
        db.session.execute(
            select(Record.public_id, Record.id).where(
                Record.project_id.in_([project.id for project in projects]),
                Record.organization_id == projects[0].organization_id,
                Record.public_id.in_(unique),
            )
        ).all()
    )
    if len(found) != len(unique):
        raise ExportRequestError(refusal)
    return [found[public_id] for public_id in dict.fromkeys(public_ids)]  # as listed, once


def export_record_ids(export: Export) -> list[int]:
    return list(
        db.session.scalars(
            select(ExportItem.record_id)
            .where(ExportItem.export_id == export.id)
            .order_by(ExportItem.position)
        )
    )


REFUSALS = {
    Action.CANCEL: ("This export has already finished.", 409),
    Action.RETRY: ("Only a failed export can be retried.", 409),
    Action.REORDER: ("Only an export that is no longer available can be re-ordered.", 409),
    Action.REVOKE: ("Only a ready export can be revoked.", 409),
    Action.DOWNLOAD: ("This export isn't finished yet; you'll get an email when it is.", 409),
    Action.SHARE: ("Only a ready export can be shared.", 409),
    Action.REDO: ("Only a ready or expired export's failures can be exported again.", 409),
}
NOTHING_FAILED = "Nothing in this export failed, so there is nothing to export again."
NOT_AS_THEY_WERE = (
    "The earlier PDFs of these records are no longer all kept, so this export can only be "
    "re-ordered with the records as they are now."
)


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


def reorder(export: Export, by: User, as_they_were: bool = False) -> ExportRequest:
    """A new export with the same records and options, pointing at the old one: with the
    records as they are now, or `as_they_were` (each PDF the old zip held, read from the
    render cache; refused once the cache no longer holds them all).

    An export that was re-ordered already answers with that re-order: one old export, one
    new one, however many tabs or admins press the button."""
    authorise(export, Action.REORDER, by)
    if (newer := newer_export(export)) is not None:
        return ExportRequest(newer, reused=True)
    if as_they_were and not ((found := changes.since(export)) and found.as_they_were):
        raise ExportRequestError(NOT_AS_THEY_WERE, status=409)
    options = replace(ExportOptions.of(export), as_they_were=as_they_were)
    record_ids, links = export_record_ids(export), attempts.export_links(export)

    def pin(new: Export) -> None:
        if as_they_were:
            pin_items(new, export)

    return follow_up(export, by, record_ids, links, options, pin, reordered_from=export)


def pin_items(new: Export, old: Export) -> None:
    """The new export's items take the versions and cache entries the old zip held."""
    earlier = aliased(ExportItem)

    def of_old(column):
        return (
            select(column)
            .where(earlier.export_id == old.id, earlier.record_id == ExportItem.record_id)
            .scalar_subquery()
        )

    db.session.execute(
        update(ExportItem)
        .where(ExportItem.export_id == new.id)
        .values(version=of_old(earlier.version), fingerprint=of_old(earlier.fingerprint))
    )


def redo(
    export: Export, by: User, alongside: Callable[[Export], object] | None = None
) -> ExportRequest:
    """A new export of exactly the records and links that failed in `export`, with its
    options, saying which export it completes. One per export: asked again (another tab,
    an API client's retry), it answers with the same one."""
    authorise(export, Action.REDO, by)
    if (earlier := failed.redone_as(export)) is not None:
        return ExportRequest(earlier, reused=True)
    left = failed.left_over(export)
    if not left.count:
        raise ExportRequestError(NOTHING_FAILED, status=409)
    suffix = f" — the {left.count:,} that failed"
    name = wording.title(export)[: NAME_MAX - len(suffix)] + suffix
    options = replace(ExportOptions.of(export), name=name, as_they_were=False)
    return follow_up(export, by, left.record_ids, left.links, options, alongside, completes=export)


def follow_up(
    export: Export,
    by: User,
    record_ids: list[int],
    links: Sequence[LinkIn],
    options: ExportOptions,
    alongside: Callable[[Export], object] | None,
    **relation: Export,
) -> ExportRequest:
    """A new export made from `export` for its requester (a re-order, a redo), whoever
    asked: an identical live one of theirs is answered instead. `relation` says how the two
    are related (reordered_from= or completes=)."""
    requester = export.requested_by
    fingerprint = fingerprint_of(requester.id, record_ids, options, links)
    with queues.request_lock(requester.id):
        existing = live_export_with(requester.id, fingerprint)
        if existing:
            return ExportRequest(existing, reused=True)
        new = create_export(
            requester, export.project, record_ids, options, fingerprint, links=links, **relation
        )
        if by.id != requester.id:
            acted = "admin_redo" if "completes" in relation else "admin_reorder"
            events.add(new.id, acted, f"on behalf of {requester.email}", by.id)
        if alongside:
            alongside(new)
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
            files_failed=0,
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


REVOKE_REASON_MAX = 500


def revoke(export: Export, by: User, reason: str = "") -> None:
    """An admin withdraws a ready export: completed → revoked, then its zip and edge copies go.

    The row changes first, so the download route refuses at once even if S3 or the CDN is
    slow or down; a zip left behind by a failed delete is removed by `flask storage reconcile`.
    The reason, if given, is shown to the requester on the export's page.
    """
    authorise(export, Action.REVOKE, by)
    reason = " ".join(reason.split())
    if len(reason) > REVOKE_REASON_MAX:
        raise ExportRequestError(f"The reason can be at most {REVOKE_REASON_MAX} characters.")
    if not end_completed(export, ExportStatus.REVOKED, actor_id=by.id, reason=reason):
        raise ExportRequestError(*REFUSALS[Action.REVOKE])
