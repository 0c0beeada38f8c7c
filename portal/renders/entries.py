"""What names a cached PDF, in plain values: render processes use it, and import no models.

A record's PDF depends only on what it shows (the record at its version, its photos with
their captions, its project's and organisation's names, the organisation's branding), the
template and the paper, so it
is stored under a fingerprint of exactly those and reused by every export that needs it.
The export planner (from a light query) and the snapshot (from the loaded record) build the
material with the same `inputs()`, and a test holds the two together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from portal.storage import keys

# The paper sizes a PDF can be rendered on: what an export may ask for, and what a render
# process has a page stylesheet for.
PAPER_SIZES = ("A4", "Letter")
# What an export that names no paper is rendered on.
DEFAULT_PAPER = PAPER_SIZES[0]


@dataclass(frozen=True)
class CachedPdf:
    organization_id: int
    record_id: int
    fingerprint: str
    sha256: str
    byte_size: int

    @property
    def key(self) -> str:
        return keys.rendered_pdf(self.organization_id, self.fingerprint)


RenderInputs = tuple


def photo_material(
    sha256: str, caption: str, filename: str, taken_at: datetime | None, taken_by: str
) -> tuple[str, ...]:
    """What of one photo shows in a PDF: the snapshot and the planner's light query both
    describe a photo with this, so their fingerprints agree."""
    return (sha256, caption or "", filename, taken_at.isoformat() if taken_at else "", taken_by)


def inputs(
    organization_id: int,
    record_id: int,
    version: int,
    photos: Sequence[tuple[str, ...]],
    project: tuple[str, str, str],
    organization: str,
    paper: str,
    branding: tuple[str, str, str],
) -> RenderInputs:
    """Everything besides the template that decides a record's PDF bytes, and nothing else
    (no time, no export): `photos` as `photo_material()` gives each, in the record's order,
    `project` as (name, code, address), `branding` as `Branding.render_inputs()` gives it.
    The version stands for the record's own fields."""
    return (
        organization_id, record_id, version, tuple(tuple(p) for p in photos), tuple(project),
        organization, paper, tuple(branding),
    )  # fmt: skip


def fingerprint(material: RenderInputs, template_hash: str) -> str:
    return hashlib.sha256(json.dumps([material, template_hash]).encode()).hexdigest()
