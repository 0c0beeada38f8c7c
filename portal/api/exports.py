"""/api/v1/exports: request an export, follow it, download it, and act on it.

Every rule is the portal's: service.request_export (size, active limit, reuse of a live
identical export), service.authorise with states.POLICY (who may do what in which state),
access.export_or_404 (tenant and requester), the shared per-person rate limit, and
downloads.hand_out (the minute-long presigned URL). The service's refusals
(ExportRequestError) become problem documents in portal/api/views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import Response, request
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import urls
from portal.api import idempotency, present, schemas, status_tag
from portal.api.blueprint import bp
from portal.api.cursor import paginate
from portal.api.spec import api_spec, responses
from portal.exports import downloads, failed, service
from portal.exports.access import export_or_404, part_or_404
from portal.exports.estimate import estimate
from portal.exports.limits import export_requests
from portal.exports.options import ExportOptions, PdfPolicy
from portal.exports.poll import CACHE_CONTROL
from portal.exports.presenter import StatusView
from portal.exports.states import Action
from portal.extensions import db
from portal.models import Export, Project, Record
from portal.tenancy import get_or_404, scoped

TAGS = ("exports",)
ACCEPTED = responses(400, 403, 409, 422, 503, HTTP_202=schemas.ExportOut)
REQUESTED = responses(
    400, 403, 409, 422, 503, HTTP_202=schemas.ExportOut, HTTP_200=schemas.ExportEstimate
)


@bp.post("/exports")
@export_requests
@api_spec.validate(
    json=schemas.ExportIn,
    headers=schemas.ExportHeaders,
    resp=REQUESTED,
    tags=TAGS,
    operation_id="create_export",
)
def create_export(json: schemas.ExportIn, headers: schemas.ExportHeaders):
    """Request an export

    202 Accepted with the export, `Location` (poll it) and `Retry-After`. An identical export
    of yours still running is answered instead of a new one. With `Idempotency-Key`, a
    retried request answers with the export the first one made (the same key with another
    body is a 422).

    With `"dry_run": true`, nothing is asked: 200 with an estimate of the export's records,
    photos, size, time and zips, as the records page shows it, or the refusal the request
    would get."""
    projects = [get_or_404(Project, public_id) for public_id in json.project_ids or [json.project]]
    project = projects[0] if json.project else None
    if json.dry_run:
        return estimated(projects, json)
    record_ids = selected_records(projects, json)
    options = ExportOptions.parse(
        json.options.paper,
        json.options.include_originals,
        json.title,
        service.default_title(project, len(record_ids), current_user),
        json.options.layout,
        json.options.order,
        json.options.archival,
        json.options.signed,
        PdfPolicy.of(current_user.organization),
    )
    if json.filter is not None:
        options = replace(options, selection=f"API filter: {json.filter.as_filter().described()}")
    return once(
        idempotency.claim_of(headers.idempotency_key, json),
        lambda remember: service.request_export(
            current_user, project, record_ids, options, remember
        ),
        lambda: service.saved_despite_queue(current_user, record_ids, options),
    )


def estimated(projects: list[Project], body: schemas.ExportIn) -> schemas.ExportEstimate:
    """The request's estimate, its options and size checked as the request's would be."""
    options = ExportOptions.parse(
        body.options.paper, body.options.include_originals, body.title, "",
        body.options.layout, body.options.order, body.options.archival,
    )  # fmt: skip
    if body.record_ids is not None:
        chosen = select(Record.id).where(
            Record.id.in_(service.records_in_projects(projects, body.record_ids))
        )
    else:
        chosen = matching(projects, body)
    guess = estimate(projects[0].organization_id, chosen, options)
    service.check_size(guess.records)
    return schemas.ExportEstimate(**guess.as_dict())


def once(
    claim: idempotency.Claim | None,
    make: Callable[[Callable[[Export], None] | None], service.ExportRequest],
    saved: Callable[[], Export | None] = lambda: None,
):
    """202 with the export `make` asks the service for, unless this Idempotency-Key already
    made one (then that one). Of two requests racing with one key, the loser's transaction
    fails on the key's unique row and it answers with the winner's export. When Redis fails
    after the row was saved, `saved` finds it and it is answered (the sweeper enqueues it)."""
    if claim and (earlier := idempotency.earlier_export(current_user, claim)):
        return accepted(earlier)
    remember = idempotency.remember(current_user, claim) if claim else None
    try:
        result = make(remember)
    except IntegrityError:
        db.session.rollback()
        winner = idempotency.earlier_export(current_user, claim) if claim else None
        if winner is None:
            raise
        return accepted(winner)
    except RedisError:
        export = saved()
        if export is None:
            raise
        return accepted(export)
    return accepted(result.export)


def selected_records(projects: list[Project], body: schemas.ExportIn) -> list[int]:
    """The ids the body names (all in the projects, or refused), or those its filter matches
    in them (the records page's filter, so both select the same records). The projects were
    found in the caller's organisation: another's id answered 404 before this."""
    if body.record_ids is not None:
        return service.records_in_projects(projects, body.record_ids)
    return list(db.session.scalars(matching(projects, body)))


def matching(projects: list[Project], body: schemas.ExportIn) -> Select:
    """The ids of the records the body's filter matches in the projects."""
    chosen = [project.id for project in projects]
    found = body.filter.as_filter().apply(scoped(Record).where(Record.project_id.in_(chosen)))
    return found.with_only_columns(Record.id)


def accepted(export: Export):
    out = present.export_out(export)
    wait = present.poll_after(out.state, out.eta_seconds)
    return out, 202, {"Location": out.links.self, "Retry-After": str(wait)}


@bp.get("/exports")
@api_spec.validate(
    query=schemas.PageQuery,
    resp=responses(422, HTTP_200=schemas.ExportPage),
    tags=TAGS,
    operation_id="list_exports",
)
def list_exports(query: schemas.PageQuery):
    """Your exports, newest first"""
    mine = (
        scoped(Export)
        .where(Export.requested_by_id == current_user.id)
        .options(selectinload(Export.project), selectinload(Export.parts))
    )
    page = paginate(mine, Export.id, query.cursor, query.limit, newest_first=True)
    next_url = (
        urls.absolute("api.list_exports", cursor=page.next_cursor, limit=query.limit)
        if page.next_cursor
        else None
    )
    return schemas.ExportPage(items=[present.export_out(e) for e in page.items], next=next_url)


@bp.get("/exports/<public_id>")
@api_spec.validate(resp=responses(HTTP_200=schemas.ExportOut), tags=TAGS, operation_id="get_export")
def get_export(public_id: str):
    """An export: state, progress, time left, parts, links

    While the export is live (pending or processing) the answer carries `Retry-After`, the
    seconds worth waiting at its pace. Every answer carries an `ETag`: sent back as
    `If-None-Match`, an export that has not changed answers 304 with no body."""
    tag = status_tag.of(public_id)
    if tag is not None and request.if_none_match.contains(tag.etag):
        headers = tagged(tag.etag)
        if tag.retry_after is not None:
            headers["Retry-After"] = str(tag.retry_after)
        return Response(status=304, headers=headers)
    export = export_or_404(public_id)
    view = StatusView.of(export, newer=service.newer_export(export), redo=failed.redo_of(export))
    out = present.export_out(export, view)
    headers = tagged(tag.etag if tag else None)
    if view.live:
        headers["Retry-After"] = str(present.poll_after(view.state, out.eta_seconds))
    return out, 200, headers


def tagged(etag: str | None) -> dict[str, str]:
    """An export's answer is the caller's own, and must be asked for again each time."""
    return {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL} if etag else {}


@bp.get("/exports/<public_id>/download")
@api_spec.validate(
    query=schemas.DownloadQuery,
    resp=responses(403, 409, 410, 422, codes=("HTTP_302",)),
    tags=TAGS,
    operation_id="download_export",
)
def download_export(public_id: str, query: schemas.DownloadQuery):
    """Download a part of a ready export

    302 to a presigned URL that works for 60 seconds: ask this route again for a fresh one.
    409 while the export is not ready, 410 once it expired or was revoked."""
    export = export_or_404(public_id)
    service.authorise(export, Action.DOWNLOAD, current_user)
    return downloads.hand_out(export, part_or_404(export, str(query.part)), current_user)


ACTED = responses(403, 409, HTTP_200=schemas.ExportOut)


@bp.post("/exports/<public_id>/cancel")
@api_spec.validate(resp=ACTED, tags=TAGS, operation_id="cancel_export")
def cancel_export(public_id: str):
    """Cancel a pending or processing export"""
    export = export_or_404(public_id)
    service.cancel(export, current_user)
    return present.export_out(export)


@bp.post("/exports/<public_id>/retry")
@api_spec.validate(resp=ACCEPTED, tags=TAGS, operation_id="retry_export")
def retry_export(public_id: str):
    """Run a failed export again, as the same export"""
    export = export_or_404(public_id)
    service.retry(export, current_user)
    return accepted(export)


@bp.post("/exports/<public_id>/reorder")
@api_spec.validate(resp=ACCEPTED, tags=TAGS, operation_id="reorder_export")
def reorder_export(public_id: str):
    """Order an expired, cancelled (or, for admins, revoked) export again

    Answers with the new export; asked again, with the same new export."""
    export = export_or_404(public_id)
    return accepted(service.reorder(export, current_user).export)


@bp.post("/exports/<public_id>/redo")
@api_spec.validate(
    headers=schemas.ExportHeaders, resp=ACCEPTED, tags=TAGS, operation_id="redo_export"
)
def redo_export(public_id: str, headers: schemas.ExportHeaders):
    """Export again only what failed in a ready or expired export

    A new export of exactly its records that could not be rendered and its links that gave
    no file, with the same options; its `completes` names this export. Answers with the new
    export; asked again, with the same one (409 when nothing failed). `Idempotency-Key`
    works as on POST /exports."""
    export = export_or_404(public_id)
    claim = idempotency.claim_of(headers.idempotency_key, schemas.RedoOf(export=public_id))
    return once(claim, lambda remember: service.redo(export, current_user, remember))
