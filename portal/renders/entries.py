"""What names a cached PDF, in plain values: render processes use it, and import no models.

A record's PDF depends only on its version, its photos, the template and the paper, so it is
stored under a fingerprint of exactly those and reused by every export that needs it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from portal.storage import keys


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


def fingerprint(
    organization_id: int,
    record_id: int,
    version: int,
    photo_sha256s: Sequence[str],
    paper: str,
    template_hash: str,
) -> str:
    """Everything a record's PDF depends on, and nothing else: no time, no export."""
    material = [organization_id, record_id, version, list(photo_sha256s), paper, template_hash]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()
