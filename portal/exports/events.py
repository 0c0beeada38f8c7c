"""Appending to an export's timeline. Written in the same transaction as the change it
describes, so the timeline never claims something that was rolled back."""

from __future__ import annotations

from portal.extensions import db
from portal.models import ExportEvent


def add(export_id: int, kind: str, detail: str = "", actor_id: int | None = None) -> None:
    db.session.add(ExportEvent(export_id=export_id, kind=kind, detail=detail, actor_id=actor_id))
