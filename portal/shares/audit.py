"""What the sharer and the admins see of an export's shares: each link with its state and
every open and download, for the export's page and the admin timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.exports import states
from portal.extensions import db
from portal.models import Export, ExportShare, ShareAccess, ShareAccessKind, User, utcnow
from portal.shares import policy

LABELS = {
    ShareAccessKind.OPENED: "Opened",
    ShareAccessKind.DOWNLOADED: "Downloaded",
}


@dataclass(frozen=True)
class ShareLine:
    share: ExportShare

    @property
    def state(self) -> str:
        """A link works, was withdrawn by a person, or lapsed at its expiry (words of their
        own: a link's state is not an export's)."""
        if self.share.revoked_at is not None:
            return "withdrawn"
        return "lapsed" if self.share.expires_at <= utcnow() else "active"

    @property
    def downloads(self) -> int:
        return sum(1 for a in self.share.accesses if a.kind == ShareAccessKind.DOWNLOADED)


def shares_of(export: Export) -> list[ShareLine]:
    rows = db.session.scalars(
        select(ExportShare)
        .options(selectinload(ExportShare.accesses), selectinload(ExportShare.shared_by))
        .where(ExportShare.export_id == export.id)
        .order_by(ExportShare.created_at, ExportShare.id)
    )
    return [ShareLine(row) for row in rows]


def access_label(access: ShareAccess) -> str:
    label = LABELS.get(access.kind, access.kind)
    return f"{label} part {access.part}" if access.part and access.part > 1 else label


def timeline_entries(export: Export) -> list[tuple[datetime, str, object, str]]:
    """(when, kind, actor, detail) of every share made, revoked, opened and downloaded."""
    entries = []
    for line in shares_of(export):
        row = line.share
        until = row.expires_at.strftime("%-d %b %Y")
        entries.append((row.created_at, "shared", row.shared_by, f"with {row.email} until {until}"))
        if row.revoked_at:
            entries.append((row.revoked_at, "share_revoked", None, f"link of {row.email}"))
        entries += [
            (
                a.created_at,
                f"share_{a.kind}",
                None,
                f"{row.email}{f' part {a.part}' if a.part else ''} from {a.ip_address} · "
                f"{a.user_agent or 'no user agent'}",
            )
            for a in row.accesses
        ]
    return entries


def panel(export: Export, user: User) -> dict:
    """What the export page's share panel (templates/shares/_panel.html) reads."""
    return {
        "share_lines": shares_of(export),
        "sharing": policy.of(export.organization_id),
        "sharing_off": policy.SHARING_OFF,
        "access_label": access_label,
        "can_revoke_shares": states.role_of(user, export) in states.ORGANISATION,
    }
