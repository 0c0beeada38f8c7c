"""Who may see an export: its requester, and their organisation's admins. Others get 404."""

from __future__ import annotations

import re

from flask import abort
from sqlalchemy import Select

from portal.models import Export, ExportPart
from portal.tenancy import own_or_404, visible_to_user


def visible_exports() -> Select:
    return visible_to_user(Export, Export.requested_by_id)


def export_or_404(public_id: str) -> Export:
    return own_or_404(Export, public_id, "requested_by_id")


# 1..9999, written plainly: `0`, `01`, `abc` or a number too long to parse name no part.
PART_NUMBER = re.compile(r"[1-9][0-9]{0,3}")
NO_SUCH_PART = "This export has no such part. Open the export to see the zips it has."


def part_or_404(export: Export, requested: str | None) -> ExportPart:
    """The part `?part=N` names; without one, part 1 (the only one of a single-zip export,
    so links sent before exports had parts keep working)."""
    requested = "1" if requested is None else requested
    if PART_NUMBER.fullmatch(requested):
        for part in export.parts:
            if part.number == int(requested):
                return part
    abort(404, NO_SUCH_PART)
