"""Projects, their records table and a record's detail page.

Importing this module registers every records route: the selection and photo routes live in
their own modules and join the same blueprint.
"""

from flask import make_response, render_template

from portal.models import Project
from portal.records import labels, pdf_views, photos, selection_views  # noqa: F401  (join bp)
from portal.records.blueprint import bp
from portal.records.listing import results_context, wants_fragment
from portal.records.queries import project_summaries, record_or_404
from portal.tenancy import get_or_404

__all__ = ["bp"]


@bp.get("/")
def home():
    return render_template("records/home.html", summaries=project_summaries())


@bp.get("/projects/<project_id>/records")
def index(project_id: str):
    """One URL serves the page and, to htmx, only its results region."""
    project = get_or_404(Project, project_id)
    template = "records/_results.html" if wants_fragment() else "records/index.html"
    response = make_response(render_template(template, **results_context(project)))
    response.vary.add("HX-Request")
    return response


@bp.get("/projects/<project_id>/records/<record_id>")
def detail(project_id: str, record_id: str):
    project = get_or_404(Project, project_id)
    record = record_or_404(project, record_id)
    return render_template("records/detail.html", project=project, record=record)
