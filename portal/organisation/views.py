"""/settings/organisation: what an organisation's admin sets for everyone in it.

One page of sections, each its own form posting to its own URL, so a section is added by
adding its form to `forms()`, its template to organisation/settings.html and its POST route
here, without touching the others (branding; handover PDFs and the signing key). Only the
organisation's admins reach it; for anyone else every URL here answers 404, as if it did
not exist. Nothing here takes an organisation's id:
an admin's own organisation is the only one it can read or change.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.validators import ValidationError

from portal.branding import store
from portal.exports.errors import ExportRequestError
from portal.exports.options import PdfPolicy
from portal.extensions import db
from portal.organisation import members
from portal.organisation.branding_form import BrandingForm
from portal.organisation.pdfs_form import PdfPolicyForm, SigningKeyForm
from portal.signing import certificates
from portal.signing.certificates import SigningError

bp = Blueprint("organisation", __name__, url_prefix="/settings/organisation")


@bp.before_request
def organisation_admins_only():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(404)


def forms(**submitted) -> dict:
    """Every section's form, as stored now; a submitted one replaces its section's."""
    organization = current_user.organization
    return {
        "branding": BrandingForm.showing(store.of(organization)),
        "pdfs": PdfPolicyForm.showing(PdfPolicy.of(organization)),
        "signing_key": SigningKeyForm(formdata=None),
    } | submitted


def page(status: int = 200, **submitted):
    html = render_template(
        "organisation/settings.html",
        forms=forms(**submitted),
        branding=store.of(current_user.organization),
        certificate=signing_certificate(),
        members=members.active_members(current_user.organization_id),
    )
    return html, status


def signing_certificate():
    """The certificate the organisation signs with now, or None (none yet, or the
    deployment cannot open its keys: the section says how signing would start)."""
    try:
        return certificates.stored(current_user.organization_id)
    except SigningError:
        return None


@bp.get("/")
def settings():
    return page()


@bp.post("/branding")
def save_branding():
    form = BrandingForm()
    if not form.validate_on_submit():
        return page(400, branding=form)
    try:
        logo_png = form.logo_png()
    except ValidationError as refused:
        form.logo.errors = [str(refused)]
        return page(400, branding=form)
    store.change(
        current_user.organization,
        accent=form.accent.data,
        footer=form.footer.data or "",
        logo_png=logo_png,
        remove_logo=form.remove_logo.data,
    )
    db.session.commit()
    flash("Branding saved: record PDFs and emails show it from now on.", "success")
    return redirect(url_for("organisation.settings"), 303)


@bp.post("/pdfs")
def save_pdfs():
    form = PdfPolicyForm()
    if not form.validate_on_submit():
        return page(400, pdfs=form)
    organization = current_user.organization
    if form.signing.data and not certificates.ready(organization.id):
        form.signing.errors = [
            "Signing needs a certificate: upload your own key below, or ask Sitepack's "
            "operators to set up the deployment's CA (flask signing init)."
        ]
        return page(400, pdfs=form)
    organization.pdf_archival = form.archival.data
    organization.sign_exports = form.signing.data
    db.session.commit()
    flash("Handover PDF settings saved: exports requested from now on follow them.", "success")
    return redirect(url_for("organisation.settings"), 303)


@bp.post("/signing-key")
def upload_signing_key():
    """An admin's own PKCS#12 replaces the certificate the organisation signs with; a wrong
    password or a file that is no key is refused with the reason, and nothing is stored."""
    form = SigningKeyForm()
    if not form.validate_on_submit():
        return page(400, signing_key=form)
    try:
        signer = certificates.upload(
            current_user.organization_id, form.key_bytes(), form.password.data or ""
        )
    except SigningError as refused:
        form.key.errors = [str(refused)]
        return page(400, signing_key=form)
    name = signer.certificate.subject.rfc4514_string()
    flash(f"Signing key saved: exports are signed as {name} from now on.", "success")
    return redirect(url_for("organisation.settings"), 303)


@bp.get("/logo.png")
def logo():
    """The stored logo, for the page's preview (a PNG Sitepack drew, never the upload)."""
    data = store.logo_bytes(store.of(current_user.organization))
    if data is None:
        abort(404)
    return data, {"Content-Type": "image/png", "Cache-Control": "private, no-cache"}


@bp.post("/members/<int:user_id>/remove")
def remove_member(user_id: int):
    """Asked without `confirmed=yes`: the page that says what removing them does (their
    schedules that will be paused); confirmed: done, and the admins told."""
    member = members.member_or_404(current_user, user_id)
    if member is None:
        abort(404)
    try:
        members.check_removable(member, current_user)
        if request.form.get("confirmed") != "yes":
            schedules = members.their_schedules(member, paused=False)
            return render_template(
                "organisation/remove_member.html", member=member, schedules=schedules
            )
        paused = members.remove(member, current_user)
    except ExportRequestError as refused:
        flash(str(refused), "error")
        return page(refused.status)
    told = f"; {len(paused)} of their scheduled exports paused" if paused else ""
    flash(f"{member.name} ({member.email}) was removed{told}. Your admins were emailed.", "success")
    return redirect(url_for("organisation.settings"), 303)
