"""Reads of projects and records, always through the tenant scope."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Project, Record
from portal.tenancy import get_or_404, scoped


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    records: int
    open_records: int


def project_summaries() -> list[ProjectSummary]:
    """The organisation's projects with their record counts, in one grouped query."""
    stmt = (
        scoped(Project)
        .outerjoin(Record, Record.project_id == Project.id)
        .add_columns(
            func.count(Record.id),
            func.count(case((Record.status != "closed", Record.id))),
        )
        .group_by(Project.id)
        .order_by(Project.name, Project.id)
    )
    return [ProjectSummary(*row) for row in db.session.execute(stmt)]


def project_records(project: Project) -> Select:
    """SELECT the records of a project the current user may already see."""
    return select(Record).where(
        Record.project_id == project.id, Record.organization_id == project.organization_id
    )


def organisation_records() -> Select:
    """SELECT the records of every project of the current user's organisation, each with its
    project (the organisation-wide table links to and names it)."""
    return scoped(Record).options(selectinload(Record.project))


def record_by_reference(project: Project, reference: str) -> Record | None:
    """A record of this project by its reference (the id of the system that owns it)."""
    return db.session.scalar(project_records(project).where(Record.reference == reference))


def record_or_404(project: Project, public_id: str) -> Record:
    """A record of this project; another project's or organisation's id answers 404."""
    record = get_or_404(Record, public_id)
    if record.project_id != project.id:
        abort(404)
    return record
