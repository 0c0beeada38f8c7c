"""External shares, both sides: the sharer's form and revoke buttons on the export's page, the
recipient's landing page and downloads (no login), and the admin's sharing policy.

A GET of the landing page changes nothing but its audit line (a mail scanner may fetch it);
only the Download button, a POST, hands out a presigned URL, which lives a minute."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import formtokens
from portal.exports import downloads
from portal.exports.access import export_or_404
from portal.exports.errors import ExportRequestError
from portal.exports.parts import PartView, parts_of
from portal.extensions import db
from portal.models import ExportPart, ExportShare, ShareAccessKind
from portal.security import content_security_policy
from portal.shares import policy, service
from portal.shares.limits import limited
from portal.storage import client as s3
from portal.tenancy import get_or_404

bp = Blueprint("shares", __name__)
# What the landing page says for any token that opens nothing, whatever the reason.
UNAVAILABLE = 404
ALL_PARTS = "all"
ALREADY_SENT = (
    "This share form was sent already, so nothing was sent again: the links below went out "
    "the first time."
)


@bp.post("/exports/<public_id>/shares")
def create(public_id: str):
    """A form posted again (a reload, Back, a second click) finds the share its first POST
    made (portal/formtokens.py) and sends nothing, saying so."""
    export = export_or_404(public_id)
    token = formtokens.posted()
    try:
        asked = service.read_form(export, request.form)
        made = formtokens.create_once(
            ExportShare, token, lambda: service.share(export, current_user, asked, token)
        )
    except formtokens.AlreadyUsed:
        flash(ALREADY_SENT, "warning")
        return redirect(url_for("exports.show", public_id=export.public_id), code=303)
    except ExportRequestError as exc:
        page = render_template("shares/refused.html", message=str(exc), export=export)
        return page, exc.status, exc.headers
    flash(f"Shared: a link went to {', '.join(row.email for row in made)}.", "success")
    return redirect(url_for("exports.show", public_id=export.public_id), code=303)


@bp.post("/exports/<public_id>/shares/<share_id>/revoke")
def revoke(public_id: str, share_id: str):
    export = export_or_404(public_id)
    row = get_or_404(ExportShare, share_id)
    if row.export_id != export.id:
        abort(404)
    try:
        service.revoke(row, current_user)
    except ExportRequestError as exc:
        page = render_template("shares/refused.html", message=str(exc), export=export)
        return page, exc.status
    flash(f"The link of {row.email} no longer works.", "success")
    return redirect(url_for("exports.show", public_id=export.public_id), code=303)


@bp.get("/s/<token>")
@limited
def landing(token: str):
    if (row := service.usable(token)) is None:
        return unavailable()
    if request.method == "GET":
        service.record(row, ShareAccessKind.OPENED)
        db.session.commit()
    return landing_page(row, token)


@bp.post("/s/<token>/download")
@limited
def download(token: str):
    row = service.usable(token)
    if row is None:
        return unavailable()
    if not service.passcode_ok(row, request.form.get("passcode")):
        return landing_page(row, token, wrong_passcode=True), 403
    parts = chosen_parts(row, request.form.get("part", "1"))
    service.downloaded(row, [part.number for part, _ in parts])
    links = [(view, presigned(part.object_key, view.file_name)) for part, view in parts]
    if len(links) == 1:
        return no_store(redirect(links[0][1], code=303))
    return no_store(current_app.make_response(render_template("shares/all.html", links=links)))


def chosen_parts(row: ExportShare, asked: str) -> list[tuple[ExportPart, PartView]]:
    """The zip the button names, or every zip for "download all"; a part that is not there
    is a 400 (the page offered no such button)."""
    pairs = list(zip(row.export.parts, parts_of(row.export), strict=True))
    chosen = [pair for pair in pairs if asked in (ALL_PARTS, str(pair[0].number))]
    if not chosen:
        abort(400, "There is no such part. Reload the page to see the zips.")
    return chosen


def presigned(key: str, file_name: str) -> str:
    """A minute's URL that saves the zip under its own name (the recipient's browser downloads
    it rather than showing a zip's bytes)."""
    disposition = f'attachment; filename="{file_name}"'
    return s3.presigned_get(key, seconds=downloads.PRESIGN_SECONDS, disposition=disposition)


def landing_page(row: ExportShare, token: str, wrong_passcode: bool = False) -> Response:
    page = render_template(
        "shares/landing.html",
        share=row,
        export=row.export,
        parts=parts_of(row.export),
        token=token,
        wrong_passcode=wrong_passcode,
    )
    response = no_store(current_app.make_response(page))
    csp = content_security_policy(current_app.config, form_to_storage=True).header_value
    response.headers["Content-Security-Policy"] = csp
    return response


def unavailable():
    """One page for an unknown, revoked or expired link, or an export no longer there."""
    page = render_template("shares/unavailable.html")
    return no_store(current_app.make_response((page, UNAVAILABLE)))


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/admin/sharing", methods=["GET", "POST"])
def settings():
    """An organisation admin's switch for external sharing and its list of domains."""
    if not current_user.is_admin:
        abort(404)
    org_id, error = current_user.organization_id, None
    current = policy.of(org_id)
    if request.method == "POST":
        typed = request.form.get("domains", "")
        try:
            listed = policy.parse_domains(typed)
        except policy.PolicyError as exc:
            error = str(exc)
        else:
            policy.save(org_id, "enabled" in request.form, listed)
            flash("Sharing settings saved.", "success")
            return redirect(url_for("shares.settings"), code=303)
    page = render_template("shares/settings.html", policy=current, error=error)
    return page, 400 if error else 200
