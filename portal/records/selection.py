"""A user's selection of records, held in the `selected_records` table.

The browser never carries the list of ids: adding "all N matching" is one INSERT ... SELECT,
so selecting 10,000 records costs the same single statement as selecting 10, and the export
reads the selection with `selected_record_ids()`. These functions don't commit: the caller's
transaction decides, so an export can snapshot and clear a selection atomically.

Each function takes a project's id, or None for the organisation-wide records page: its
selection is the user's selections on every project together (a record ticked on either page
is ticked on both), so the rows keep their record's project either way.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
)

from portal.extensions import db
from portal.models import Record, SelectedRecord


def selected_record_ids(user_id: int, project_id: int | None) -> Select:
    """SELECT Record.id of the user's selection on a project (None: on every project).

    Joining Record keeps the answer honest if a record moved or vanished after it was ticked.
    """
    return (
        select(Record.id)
        .join(SelectedRecord, SelectedRecord.record_id == Record.id)
        .where(
            SelectedRecord.user_id == user_id,
            SelectedRecord.project_id == Record.project_id,
            *_in_project(project_id),
        )
    )


def _in_project(project_id: int | None) -> tuple[ColumnElement[bool], ...]:
    return () if project_id is None else (SelectedRecord.project_id == project_id,)


def count_selected(user_id: int, project_id: int | None) -> int:
    stmt = selected_record_ids(user_id, project_id).with_only_columns(func.count(Record.id))
    return db.session.scalar(stmt)


def count_selected_in(user_id: int, project_id: int | None, records: Select) -> int:
    """How many of the selection `records` (a SELECT over Record, e.g. a filter) matches:
    the rest were picked under another filter and are hidden from this view."""
    matching = records.order_by(None).with_only_columns(Record.id)
    stmt = selected_record_ids(user_id, project_id).where(Record.id.in_(matching))
    return db.session.scalar(stmt.with_only_columns(func.count(Record.id)))


def selected_among(user_id: int, project_id: int | None, record_ids: list[int]) -> set[int]:
    """Which of these record ids are selected: the ticks on one page of the table."""
    if not record_ids:
        return set()
    stmt = selected_record_ids(user_id, project_id).where(Record.id.in_(record_ids))
    return set(db.session.scalars(stmt))


def add(user_id: int, project_id: int | None, records: Select) -> int:
    """Select every record that `records` (a SELECT over Record) matches and that is not yet
    selected, in one INSERT ... SELECT; answers how many were added.

    Two requests racing on the same rows can still collide on the primary key (PostgreSQL,
    read committed); callers retry once, when the other request's rows are already there.
    """
    already = exists().where(
        SelectedRecord.user_id == user_id,
        SelectedRecord.project_id == Record.project_id,
        SelectedRecord.record_id == Record.id,
    )
    source = (
        records.order_by(None)
        .with_only_columns(literal(user_id, Integer), Record.project_id, Record.id)
        .where(~already)
    )
    if project_id is not None:
        source = source.where(Record.project_id == project_id)
    stmt = insert(SelectedRecord).from_select(["user_id", "project_id", "record_id"], source)
    return db.session.execute(stmt).rowcount


def remove(user_id: int, project_id: int | None, records: Select) -> None:
    """Unselect the records that `records` (a SELECT of Record.id) matches."""
    _unselect(user_id, project_id, SelectedRecord.record_id.in_(records))


def keep_only(user_id: int, project_id: int | None, records: Select) -> None:
    """Unselect every record that `records` (a SELECT over Record) does not match."""
    matching = records.order_by(None).with_only_columns(Record.id)
    _unselect(user_id, project_id, SelectedRecord.record_id.not_in(matching))


def _unselect(user_id: int, project_id: int | None, *which: ColumnElement[bool]) -> None:
    db.session.execute(
        delete(SelectedRecord).where(
            SelectedRecord.user_id == user_id, *_in_project(project_id), *which
        )
    )


def replace(user_id: int, project_id: int | None, records: Select) -> None:
    """The selection becomes exactly what `records` (a SELECT over Record) matches."""
    clear(user_id, project_id)
    add(user_id, project_id, records)


def clear(user_id: int, project_id: int | None) -> None:
    _unselect(user_id, project_id)
