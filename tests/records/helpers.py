"""What the records tests send and read: the header htmx adds, the URLs of a project's pages,
ticks, and the selection as the database and the page have it."""

import re
from urllib.parse import urlencode

from sqlalchemy import select

from portal.extensions import db
from portal.models import Record
from portal.records import selection
from tests.helpers import csrf_headers

HTMX = {"HX-Request": "true"}


def records_url(project, **args) -> str:
    base = f"/projects/{project.public_id}/records"
    return f"{base}?{urlencode(args)}" if args else base


def selection_url(project, action: str, **args) -> str:
    base = f"/projects/{project.public_id}/selection/{action}"
    return f"{base}?{urlencode(args)}" if args else base


def references(html: str) -> list[str]:
    """The references in the records table, in the order shown."""
    return re.findall(r'<td class="col-ref"><a href="[^"]+">([A-Z]{3}-\d+)</a>', html)


def selected_refs(user, project) -> set[str]:
    ids = selection.selected_record_ids(user.id, project.id)
    return set(db.session.scalars(select(Record.reference).where(Record.id.in_(ids))))


def checked_refs(html: str) -> set[str]:
    """References whose checkbox the page renders ticked."""
    boxes = re.findall(r'<input type="checkbox"[^>]*aria-label="Select ([A-Z]+-\d+)"([^>]*)>', html)
    return {ref for ref, rest in boxes if " checked" in rest}


def tick(member, project, record, on: bool):
    url = f"/projects/{project.public_id}/records/{record.public_id}/selection"
    data = {"record": [record.public_id]} if on else {}
    return member.post(url, data=data, headers=csrf_headers(member, HTMX))
