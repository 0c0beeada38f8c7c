"""Helpers for export tests (the fixtures they use live in tests/conftest.py)."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Export


def reload(export_id: int) -> Export:
    db.session.expire_all()
    return db.session.get(Export, export_id)


def request_export(client, project, records=None, **form):
    """POST /exports as the browser does, CSRF token included; records=None uses the selection."""
    data = {"project": project.public_id, "csrf_token": csrf(client), **form}
    if records is not None:
        data["record"] = [r.public_id for r in records]
    return client.post("/exports", data=data)


def csrf(client) -> str:
    html = client.get("/exports").get_data(as_text=True)
    marker = '"X-CSRFToken": "'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def member_exports(client, world, records) -> Export:
    """Org A's member logs in and exports `records`; the new (pending) Export row."""
    from tests.factories import login

    login(client, "member@acme.test")
    request_export(client, world.project_a, records)
    return Export.query.one()
