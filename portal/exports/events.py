"""Appending to an export's timeline. Written in the same transaction as the change it
describes, so the timeline never claims something that was rolled back; and so are the
webhooks a change of state announces (webhooks.outbox), for the same reason."""

from __future__ import annotations

from portal.extensions import db
from portal.models import ExportEvent, ExportStatus
from portal.webhooks import outbox
from portal.webhooks.catalogue import FOR_STATE


def add(
    export_id: int,
    kind: str,
    detail: str = "",
    actor_id: int | None = None,
    state: ExportStatus | None = None,
) -> None:
    """`state`: the state this event moved the export into, if it moved it; every change of
    state passes it, and the states webhooks announce (catalogue.FOR_STATE) are emitted here."""
    db.session.add(ExportEvent(export_id=export_id, kind=kind, detail=detail, actor_id=actor_id))
    if state in FOR_STATE:
        outbox.emit(export_id, FOR_STATE[state])
