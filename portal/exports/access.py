"""Who may see an export: its requester, and their organisation's admins. Others get 404."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from portal.models import Export
from portal.tenancy import get_or_404, scoped


def visible_exports() -> Select:
    query = scoped(Export)
    if not current_user.is_admin:
        query = query.where(Export.requested_by_id == current_user.id)
    return query


def export_or_404(public_id: str) -> Export:
    export = get_or_404(Export, public_id)
    if export.requested_by_id != current_user.id and not current_user.is_admin:
        abort(404)
    return export
