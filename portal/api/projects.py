"""/api/v1/projects and their records, read through the portal's own queries and filters."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from portal import urls
from portal.api import present, schemas
from portal.api.blueprint import bp
from portal.api.cursor import paginate
from portal.api.spec import api_spec, responses
from portal.models import Project, Record
from portal.records import queries
from portal.tenancy import get_or_404

TAGS = ("projects and records",)


@bp.get("/projects")
@api_spec.validate(
    resp=responses(HTTP_200=schemas.ProjectList), tags=TAGS, operation_id="list_projects"
)
def list_projects():
    """Your organisation's projects, with their record counts"""
    return schemas.ProjectList(items=[present.project_out(s) for s in queries.project_summaries()])


@bp.get("/projects/<project_id>/records")
@api_spec.validate(
    query=schemas.RecordsQuery,
    resp=responses(422, HTTP_200=schemas.RecordPage),
    tags=TAGS,
    operation_id="list_records",
)
def list_records(project_id: str, query: schemas.RecordsQuery):
    """A project's records, oldest first, filtered as on the records page

    Follow `next` for the following page; the cursor stays valid while records are added."""
    project = get_or_404(Project, project_id)
    record_filter = query.as_filter()
    matching = record_filter.apply(queries.project_records(project)).options(
        selectinload(Record.checklist), selectinload(Record.attachments)
    )
    page = paginate(matching, Record.id, query.cursor, query.limit, newest_first=False)
    next_url = None
    if page.next_cursor:
        args = query.model_dump(exclude_defaults=True, exclude={"cursor"}, mode="json")
        next_url = urls.absolute(
            "api.list_records", project_id=project.public_id, cursor=page.next_cursor, **args
        )
    return schemas.RecordPage(items=[present.record_out(r) for r in page.items], next=next_url)
