"""The admin pages at /admin: every export, one export's story, queue health and figures.

Org admins see their organisation, staff see all; everyone else gets 404 from every URL here.
Actions are POSTs from a confirmation page, so a stray click or a mail scanner changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin import access, actions, charts, health, queries, stats, timeline
from portal.exports import changes, service
from portal.exports.errors import ExportRequestError
from portal.exports.options import ExportOptions
from portal.exports.presenter import StatusView
from portal.exports.states import Action
from portal.models import Export, ExportStatus, utcnow
from portal.records import pagination
from portal.renders import cache
from portal.storage import reconcile

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50
CACHE_WINDOW = timedelta(days=7)  # the exports whose cache hits the queue page adds up


@bp.before_request
def admins_only():
    access.require_admin()


@bp.app_template_global("export_workers_alive")
def export_workers_alive() -> bool | None:
    return health.workers_alive()


@bp.context_processor
def admin_banner():
    return {"workers_alive": health.workers_alive()}


@bp.get("/")
def home():
    return redirect(url_for("admin.exports"))


@bp.get("/exports")
def exports():
    export_filter = queries.ExportFilter.from_args(request.args, access.project_in_reach)
    number = pagination.requested_page(request.args)
    ignored = list(export_filter.ignored)
    if number is None:
        ignored.append(queries.Ignored("page", request.args["page"][:40], "not a page number"))
        number = 1
    page = pagination.paginate(queries.console_query(export_filter), number, PER_PAGE)
    return render_template(
        "admin/exports.html",
        filter=export_filter,
        ignored=ignored,
        page=page,
        rows=[StatusView.of(export) for export in page.items],
        downloads=queries.download_counts(page.items),
        projects=access.projects_in_reach(),
        states=list(ExportStatus),
    )


@bp.get("/exports/<public_id>")
def detail(public_id: str):
    export = access.export_or_404(public_id)
    view = admin_view(export)
    return render_template(
        "admin/export.html",
        export=export,
        options=ExportOptions.of(export),
        view=view,
        entries=timeline.timeline(export),
        records=timeline.first_records(export),
        job=health.export_job(export),
        actions=actions.available(view),
        downloads=queries.download_counts([export])[export.id],
    )


@bp.get("/exports/<public_id>/confirm/<name>")
def confirm(public_id: str, name: str):
    export, action = actionable(public_id, name)
    return render_template(
        "admin/confirm.html",
        export=export,
        action=action,
        view=admin_view(export),
        reason_max=service.REVOKE_REASON_MAX,
        changes=changes.since(export) if action.name == Action.REORDER else None,
    )


@bp.get("/exports/<public_id>/<name>")
def act_by_get(public_id: str, name: str):
    """A GET of an action's URL (a bookmark, a pasted link) only leads to its confirmation."""
    actionable(public_id, name)
    return redirect(url_for("admin.confirm", public_id=public_id, name=name), code=303)


@bp.post("/exports/<public_id>/<name>")
def act(public_id: str, name: str):
    export, action = actionable(public_id, name)
    if request.form.get("confirmed") != "yes":
        abort(400, "Confirm the action on its confirmation page first.")
    try:
        target, message = action.perform(export, current_user, request.form)
    except ExportRequestError as exc:
        abort(exc.status, str(exc))
    current_app.logger.info("admin %s: %s export %s", current_user.email, name, public_id)
    flash(message, "success")
    return redirect(url_for("admin.detail", public_id=target.public_id), code=303)


def admin_view(export: Export) -> StatusView:
    return StatusView.of(export, newer=service.newer_export(export))


def actionable(public_id: str, name: str) -> tuple[Export, actions.AdminAction]:
    """The export (404 when out of reach) and the action, if its state allows it (else 409)."""
    export = access.export_or_404(public_id)
    action = actions.allowed(admin_view(export), name)
    if action is None:
        abort(409, "That action isn't available for this export in its current state.")
    return export, action


@bp.get("/queues")
def queues():
    return render_template(
        "admin/queues.html",
        health=health.queue_health(),
        stuck=health.stuck_exports(access.admin_exports()),
        stale_seconds=current_app.config["EXPORT_STALE_SECONDS"],
        last_reconcile=reconcile.last_run(),
        cache=cache.stats(utcnow() - CACHE_WINDOW, access.organisation_in_reach()),
        cache_days=CACHE_WINDOW.days,
    )


@bp.get("/stats")
def figures():
    summary = stats.last_days(access.admin_exports())
    return render_template(
        "admin/stats.html",
        summary=summary,
        series=stats.summary_charts(summary),
        bar_chart=charts.bar_chart,
        line_chart=charts.line_chart,
    )
