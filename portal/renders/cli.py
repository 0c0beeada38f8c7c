"""`flask renders warm`: render records into the cache before anyone exports them."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from redis.exceptions import RedisError
from sqlalchemy import or_, select

from portal import queues
from portal.extensions import db
from portal.models import Project, Record

renders_group = AppGroup("renders", help="The render cache of record PDFs.")


@renders_group.command("warm")
@click.option(
    "--project",
    "project_ref",
    metavar="CODE|ID",
    help="A project's code or id (an id may begin with '-': --project -xyz and "
    "--project=-xyz both read it); default: every project.",
)
def warm(project_ref: str | None):
    """Queue every record of a project (or of all projects) for rendering into the cache, on
    the lowest-priority lane: exports never wait behind it, and later find their PDFs made."""
    query = select(Record.id).order_by(Record.project_id, Record.kind, Record.reference)
    if project_ref:
        query = query.where(Record.project_id == _project_id(project_ref))
    record_ids = list(db.session.scalars(query))
    jobs = queues.enqueue_prerender(record_ids)
    click.echo(f"queued {len(record_ids):,} records in {jobs:,} jobs on the {queues.RENDERS} lane")


def _project_id(ref: str) -> int:
    """A project named by its id or, when no other organisation uses it, its code."""
    named = or_(Project.code == ref, Project.public_id == ref)
    found = db.session.execute(select(Project.id, Project.public_id).where(named)).all()
    if not found:
        raise click.ClickException(f"no project with code or id {ref!r}")
    if len(found) > 1:
        ids = ", ".join(public_id for _, public_id in found)
        raise click.ClickException(f"{len(found)} projects have code {ref!r}: use an id ({ids})")
    return found[0][0]


def prerender_quietly(record_ids: list[int]) -> None:
    """After a seed: warm the cache if Redis answers; without it, exports render on demand."""
    try:
        jobs = queues.enqueue_prerender(record_ids)
    except RedisError as exc:
        click.echo(f"note: records not queued for pre-rendering (Redis: {exc})", err=True)
        return
    click.echo(f"queued {len(record_ids):,} records for pre-rendering ({jobs:,} jobs)")
