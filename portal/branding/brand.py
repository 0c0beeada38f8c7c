"""An organisation's branding as a plain, frozen value: what record PDFs, the emails, the
export's index and combined PDF show. It imports no models, so render processes take it as
part of a record's snapshot; portal/branding/store.py builds it from the organisation's row.
An organisation that set nothing gets today's look: the navy accent, no logo, no footer line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.storage import keys

DEFAULT_ACCENT = "#1f3a5f"
ACCENT = re.compile(r"#[0-9a-f]{6}")


@dataclass(frozen=True)
class Branding:
    organization_id: int
    accent: str = DEFAULT_ACCENT  # "#rrggbb", lower case: safe to write into a stylesheet
    footer: str = ""  # one line under every record PDF and in the emails' footer
    logo_sha256: str | None = None  # the stored logo PNG's digest, which names its object

    @classmethod
    def from_columns(
        cls, organization_id: int, logo_sha256: str | None, accent: str | None, footer: str | None
    ) -> Branding:
        """From the organisation's columns, each unset one (or an accent that is not
        #rrggbb, which no form stores) falling back to the default look."""
        accent = accent if accent and ACCENT.fullmatch(accent) else DEFAULT_ACCENT
        return cls(organization_id, accent, footer or "", logo_sha256 or None)

    @property
    def logo_key(self) -> str | None:
        return keys.logo(self.organization_id, self.logo_sha256) if self.logo_sha256 else None

    def render_inputs(self) -> tuple[str, str, str]:
        """What of the branding decides a record PDF's bytes, for the render cache's
        fingerprint: a new logo, colour or footer renders again, and nothing else does."""
        return (self.logo_sha256 or "", self.accent, self.footer)
