"""Who may use the admin pages, and which exports they reach there.

Org admins reach their organisation's exports, staff reach every organisation's. Everyone
else gets 404 from every /admin URL, as if the pages did not exist: a member learns nothing
from probing them.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import Export, Project
from portal.tenancy import PUBLIC_ID


def is_admin_user() -> bool:
    return current_user.is_authenticated and (current_user.is_admin or current_user.is_staff)


def require_admin() -> None:
    if not is_admin_user():
        abort(404)


def within_reach(model) -> Select:
    """SELECT rows of `model` the current admin may see: all for staff, else their own org."""
    query = select(model)
    if not current_user.is_staff:
        query = query.where(model.organization_id == current_user.organization_id)
    return query


def organisation_in_reach() -> int | None:
    """The one organisation an org admin sees; None for staff, who see them all."""
    return None if current_user.is_staff else current_user.organization_id


def admin_exports() -> Select:
    return within_reach(Export)


def export_or_404(public_id: str) -> Export:
    """Another organisation's export answers 404 to an org admin, like one that never existed."""
    if not PUBLIC_ID.fullmatch(public_id or ""):
        abort(404)
    export = db.session.scalar(admin_exports().where(Export.public_id == public_id))
    if export is None:
        abort(404)
    return export


def projects_in_reach(limit: int = 500) -> list[Project]:
    """For the console's project filter; staff with more projects filter by id in the URL."""
    return list(db.session.scalars(within_reach(Project).order_by(Project.name).limit(limit)))


def project_in_reach(public_id: str) -> bool:
    return (
        db.session.scalar(within_reach(Project).where(Project.public_id == public_id)) is not None
    )
