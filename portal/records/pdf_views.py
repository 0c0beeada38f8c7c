"""A record's own PDF from its page: ask for it (POST), watch it render (a fragment that polls
itself until the PDF is there, then stops), download it (a presigned URL that lives a minute).
"""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from redis.exceptions import RedisError

from portal.models import Project
from portal.records import pdf
from portal.records.blueprint import bp
from portal.records.listing import wants_fragment
from portal.records.queries import record_or_404
from portal.tenancy import get_or_404

ROUTE = "/projects/<project_id>/records/<record_id>/pdf"


def record_of(project_id: str, record_id: str):
    return record_or_404(get_or_404(Project, project_id), record_id)


@bp.post(ROUTE)
def request_pdf(project_id: str, record_id: str):
    record = record_of(project_id, record_id)
    try:
        located = pdf.request(record)
    except RedisError:
        abort(503, "Rendering is paused for a moment: try again in a minute.")
    if not wants_fragment():
        return redirect(url_for("records.detail", project_id=project_id, record_id=record_id), 303)
    return fragment(located)


@bp.get(ROUTE + "/status")
def pdf_status(project_id: str, record_id: str):
    return fragment(pdf.locate(record_of(project_id, record_id)))


@bp.get(ROUTE)
def download_pdf(project_id: str, record_id: str):
    located = pdf.locate(record_of(project_id, record_id))
    if located.cached is None:
        abort(404, "This record's PDF is not made yet: ask for it on the record's page.")
    response = redirect(located.download_url(), 302)
    response.headers["Cache-Control"] = "no-store"
    return response


def fragment(located: pdf.RecordPdf):
    response = render_template("records/_pdf.html", record=located.record, pdf=located)
    return response, {"Cache-Control": "no-store"}
