"""Requesting exports, following them, and downloading the result."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy.orm import selectinload

from portal.exports import changes, downloads, failed, links, poll, service, states
from portal.exports.access import export_or_404, part_or_404
from portal.exports.activity import Activity, activity_since, parse_since
from portal.exports.bundle_form import BundleForm, bundle_ttl_choices
from portal.exports.errors import ExportRequestError
from portal.exports.limits import export_requests
from portal.exports.options import NAME_MAX, ExportOptions, PdfPolicy
from portal.exports.presenter import StatusView
from portal.exports.prompt import download_prompt
from portal.exports.states import Action
from portal.extensions import db
from portal.models import Export, Project, Record
from portal.records import selection
from portal.shares import audit as shares
from portal.tenancy import get_or_404, scoped

bp = Blueprint("exports", __name__)


@bp.post("/exports")
@export_requests
def create():
    """An export of a project's records, or (no `project`: the organisation-wide records
    page) of records across the organisation's projects."""
    form_project = request.form.get("project", "")
    project = get_or_404(Project, form_project) if form_project else None
    try:
        record_ids = requested_record_ids(project)
        options = ExportOptions.parse(
            request.form.get("paper"),
            "include_originals" in request.form,
            request.form.get("title"),
            service.default_title(project, len(record_ids), current_user),
            request.form.get("layout"),
            request.form.get("order"),
            ExportOptions.archival_choice(request.form.get("archival")),
            ExportOptions.signed_choice(request.form.get("signed")),
            PdfPolicy.of(current_user.organization),
        )
        extra = handover_links()
        result = service.request_export(
            current_user,
            project,
            record_ids,
            options,
            alongside=selection_cleanup(project),
            links=extra,
        )
    except ExportRequestError as exc:
        page = render_template("exports/refused.html", message=str(exc), project=project)
        return page, exc.status, exc.headers
    except RedisError:
        saved = saved_while_queue_down(record_ids, options, extra)
        if saved is None:
            raise
        return see_other(url_for("exports.show", public_id=saved.public_id))
    return see_other(
        url_for(
            "exports.show", public_id=result.export.public_id, reused=1 if result.reused else None
        )
    )


def handover_links() -> list[links.LinkIn]:
    """The links pasted beside a records export (a handover pack), each URL once; a bad one
    is refused naming its line."""
    asked, places = links.from_text(request.form.get("links", ""))
    return links.checked(asked, places) if asked else []


def saved_while_queue_down(
    record_ids: list[int], options: ExportOptions, extra: list[links.LinkIn]
) -> Export | None:
    saved = service.saved_despite_queue(current_user, record_ids, options, extra)
    if saved is not None:
        current_app.logger.warning(
            "export %s is saved but not enqueued (Redis unreachable); the sweeper will enqueue it",
            saved.public_id,
        )
        flash(
            "Your export is saved, but the export queue can't be reached right now. "
            "It starts by itself when the queue is back.",
            "warning",
        )
    return saved


def requested_record_ids(project: Project | None) -> list[int]:
    """Explicit `record` ids (API-style) when given, in their order, else the user's
    server-side selection (on every project when `project` is None), in reference order (a
    tick keeps no time)."""
    explicit = request.form.getlist("record")
    if explicit:
        projects = [project] if project else db.session.scalars(scoped(Project)).all()
        return service.records_in_projects(projects, explicit) if projects else []
    selected = selection.selected_record_ids(current_user.id, project.id if project else None)
    return list(db.session.scalars(selected.order_by(Record.reference)))


def selection_cleanup(project: Project | None) -> Callable[[Export], None] | None:
    """An export made from the selection clears it, with the export's row; its page offers
    "Select these again". Explicit ids leave the selection alone."""
    if request.form.getlist("record"):
        return None
    return lambda _export: selection.clear(current_user.id, project.id if project else None)


def see_other(location: str):
    """303 for a plain form; htmx follows HX-Redirect with a full page load instead."""
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": location}
    return redirect(location, code=303)


@bp.get("/bundles/new")
def new_bundle():
    return render_bundle_form(BundleForm.blank())


@bp.post("/bundles")
@export_requests
def create_bundle():
    """A bundle from pasted lines and/or a CSV file; a refusal shows the form again, as typed."""
    form = BundleForm.from_request()
    try:
        asked, places = links.from_text(form.text)
        upload = request.files.get("csv")
        if upload and upload.filename:
            more, more_places = links.from_csv(upload.read())
            asked, places = asked + more, places + more_places
        links.checked(asked, places)  # refused here, naming the line or row, before the service
        result = service.request_bundle(
            current_user, form.project, form.name, asked, form.ttl_hours
        )
    except ExportRequestError as exc:
        return render_bundle_form(form, str(exc)), exc.status, exc.headers
    return see_other(
        url_for(
            "exports.show", public_id=result.export.public_id, reused=1 if result.reused else None
        )
    )


def render_bundle_form(form: BundleForm, error: str | None = None) -> str:
    projects = db.session.scalars(scoped(Project).order_by(Project.name)).all()
    return render_template(
        "exports/bundle_new.html",
        form=form,
        error=error,
        projects=projects,
        ttl_choices=bundle_ttl_choices(),
        max_urls=current_app.config["BUNDLE_MAX_URLS"],
        name_max=NAME_MAX,
    )


@bp.get("/exports")
def index():
    exports = db.session.scalars(
        scoped(Export)
        .where(Export.requested_by_id == current_user.id)
        .order_by(Export.created_at.desc())
        .limit(200)
        .options(selectinload(Export.parts))
    ).all()
    rows = [StatusView.of(e) for e in exports]
    if request.headers.get("HX-Request"):
        response = current_app.make_response(render_template("exports/_table_poll.html", rows=rows))
    else:
        response = current_app.make_response(
            render_template("exports/index.html", rows=rows, activity_static=True)
        )
    response.vary.add("HX-Request")
    return response


@bp.get("/exports/activity")
def activity():
    data = activity_since(parse_since(request.args.get("since")))
    response = current_app.make_response(render_template("exports/_activity.html", activity=data))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def export_activity_helper():
    return {"export_activity": activity_since}


@bp.get("/exports/<public_id>")
def show(public_id: str):
    export = export_or_404(public_id)
    view = StatusView.of(
        export,
        with_position=True,
        newer=service.newer_export(export),
        redo=failed.redo_of(export),
    )
    return render_template(
        "exports/show.html",
        export=export,
        options=ExportOptions.of(export),
        view=view,
        changes=changes.since(export) if view.can(Action.REORDER) else None,
        reused=bool(request.args.get("reused")),
        prompt=download_prompt(export, view) if request.args.get("download") else None,
        activity_static=True,
        **shares.panel(export, current_user),
    )


@bp.get("/exports/<public_id>/status")
def status(public_id: str):
    """The poll (portal/exports/poll.py, whose middleware answers most unchanged polls before
    they get here): 304 while nothing it shows changed; a live export rendered from its one
    row, a terminal one once from the ORM, as its page does."""
    row = poll.export_row_or_404(public_id)
    view = StatusView.of(row, with_position=True)
    tag = poll.etag(row, view.position, current_app.config["STATUS_REFRESH_SECONDS"])
    if request.if_none_match.contains(tag):
        response = current_app.response_class(status=304)
    else:
        activity = Activity(active=row.active)
        if not view.live:
            export = export_or_404(public_id)
            row, view = export, StatusView.of(export, redo=failed.redo_of(export))
        response = current_app.make_response(
            render_template(
                "exports/_status_poll.html", export=row, view=view, activity=activity, etag=tag
            )
        )
    response.set_etag(tag)
    response.headers["Cache-Control"] = poll.CACHE_CONTROL
    response.vary.add("Cookie")
    return response


@bp.get("/exports/<public_id>/download")
def download(public_id: str):
    """`?part=N` picks a zip of a multi-part export; without it, part 1."""
    export = export_or_404(public_id)
    try:
        service.authorise(export, Action.DOWNLOAD, current_user)
    except ExportRequestError as exc:
        state = states.effective(export)
        return render_template("exports/unavailable.html", export=export, state=state), exc.status
    return downloads.hand_out(export, part_or_404(export, request.args.get("part")), current_user)


@bp.post("/exports/<public_id>/cancel")
def cancel(public_id: str):
    return act(public_id, service.cancel)


@bp.post("/exports/<public_id>/reorder")
def reorder(public_id: str):
    """`as_they_were=1`: each record's PDF as the earlier zip held it (changes.since offers
    it while the render cache holds them all); otherwise the records as they are now."""
    as_they_were = request.form.get("as_they_were") == "1"
    return act(public_id, lambda export, by: service.reorder(export, by, as_they_were).export)


@bp.post("/exports/<public_id>/redo")
def redo(public_id: str):
    """A new export of only what failed in this one (one per export: asked again, that one)."""
    return act(public_id, lambda export, by: service.redo(export, by).export)


@bp.post("/exports/<public_id>/retry")
def retry(public_id: str):
    return act(public_id, service.retry)


def act(public_id: str, perform):
    """Run one of the requester's actions; the service applies states.POLICY and says why not.

    Answers with the page of the export it leads to (a re-order's is the new export's)."""
    export = export_or_404(public_id)
    try:
        target = perform(export, current_user) or export
    except ExportRequestError as exc:
        page = render_template("exports/refused.html", message=str(exc), project=export.project)
        return page, exc.status, exc.headers
    return see_other(url_for("exports.show", public_id=target.public_id))
