"""Projects, their records table and a record's detail page.

Importing this module registers every records route: the selection and photo routes live in
their own modules and join the same blueprint.
"""

from flask import make_response, render_template

from portal.extensions import db
from portal.models import Project
from portal.records import labels, pdf_views, photos, selection_views  # noqa: F401  (join bp)
from portal.records.blueprint import bp
from portal.records.listing import Scope, results_context, wants_fragment
from portal.records.queries import project_summaries, record_or_404
from portal.tenancy import get_or_404, scoped

__all__ = ["bp"]


@bp.get("/")
def home():
    return render_template("records/home.html", summaries=project_summaries())


@bp.get("/projects/<project_id>/records")
def index(project_id: str):
    return _table(Scope(get_or_404(Project, project_id)))


@bp.get("/records")
def all_index():
    """Every project's records in one table, to select and export across projects."""
    return _table(Scope(None))


def _table(scope: Scope):
    """One URL serves the page and, to htmx, only its results region."""
    if wants_fragment():
        page = render_template("records/_results.html", **results_context(scope))
    else:
        projects = db.session.scalars(scoped(Project).order_by(Project.name, Project.id))
        choices = {project.public_id: project.name for project in projects}
        page = render_template("records/index.html", projects=choices, **results_context(scope))
    response = make_response(page)
    response.vary.add("HX-Request")
    return response


@bp.get("/projects/<project_id>/records/<record_id>")
def detail(project_id: str, record_id: str):
    project = get_or_404(Project, project_id)
    record = record_or_404(project, record_id)
    return render_template("records/detail.html", project=project, record=record)
