"""Projects and their records."""

from flask import Blueprint, render_template
from flask_login import current_user

from portal.extensions import db
from portal.models import Project
from portal.tenancy import scoped

bp = Blueprint("records", __name__)


@bp.get("/")
def home():
    projects = db.session.scalars(scoped(Project).order_by(Project.name)).all()
    return render_template("records/home.html", projects=projects, user=current_user)
