"""What names a cached PDF, in plain values: render processes use it, and import no models.

A record's PDF depends only on what it shows (the record at its version, its photos with
their captions, its project's and organisation's names, the organisation's branding), the
template and its look (the paper, archival or not), so it
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
from typing import NamedTuple

from portal.storage import keys

# The paper sizes a PDF can be rendered on: what an export may ask for, and what a render
# process has a page stylesheet for.
PAPER_SIZES = ("A4", "Letter")
# What an export that names no paper is rendered on.
DEFAULT_PAPER = PAPER_SIZES[0]


class Look(NamedTuple):
    """How a record's PDF is made besides what it shows: an export's choice, and part of the
    render cache's key. Archival is PDF/A-3a that is also tagged PDF/UA-1 (jobs/render.py);
    off, a plain untagged PDF 1.7."""

    paper: str = DEFAULT_PAPER
    archival: bool = True


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
    look: Look,
    branding: tuple[str, str, str],
    verify_url: str,
) -> RenderInputs:
    """Everything besides the template that decides a record's PDF bytes, and nothing else
    (no time, no export): `photos` as `photo_material()` gives each, in the record's order,
    `project` as (name, code, address), `branding` as `Branding.render_inputs()` gives it.
    The version stands for the record's own fields; `verify_url` is the link its footer
    prints, made from the version and a key."""
    return (
        organization_id, record_id, version, tuple(tuple(p) for p in photos), tuple(project),
        organization, tuple(look), tuple(branding), verify_url,
    )  # fmt: skip


def fingerprint(material: RenderInputs, template_hash: str) -> str:
    return hashlib.sha256(json.dumps([material, template_hash]).encode()).hexdigest()
