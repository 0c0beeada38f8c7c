"""The data model, by domain: organisations own everything, and every query is scoped by
organisation. Each name is re-exported here, so `from portal.models import X` works for all.

    base.py      utcnow, public ids          lengths.py   column lengths, named once
    tenancy.py   organisations, users        records.py   projects, records, photos
    exports.py   exports and their parts     renders.py   the render cache's index
    webhooks.py  endpoints, deliveries       apikeys.py   API keys, idempotency keys
    schedules.py scheduled exports
    shares.py    external shares, their audit and the organisation's sharing policy
"""

from portal.models.apikeys import ApiKey, IdempotentRequest, KeyScope
from portal.models.base import FormTokenMixin, PublicIdMixin, new_public_id, utcnow
from portal.models.exports import (
    ChunkStatus,
    Download,
    Export,
    ExportChunk,
    ExportEvent,
    ExportItem,
    ExportKind,
    ExportKindMixin,
    ExportLink,
    ExportPart,
    ExportStatus,
    ReconcileRun,
)
from portal.models.records import Attachment, ChecklistItem, Project, Record, SelectedRecord
from portal.models.renders import IssuedPdf, RenderedPdf
from portal.models.schedules import Schedule
from portal.models.shares import ExportShare, ShareAccess, ShareAccessKind, SharingPolicy
from portal.models.tenancy import Organization, User
from portal.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "Attachment",
    "ChecklistItem",
    "ChunkStatus",
    "Download",
    "Export",
    "ExportChunk",
    "ExportEvent",
    "ExportItem",
    "ExportKind",
    "ExportLink",
    "ExportPart",
    "ExportShare",
    "ExportStatus",
    "ExportKindMixin",
    "FormTokenMixin",
    "IdempotentRequest",
    "IssuedPdf",
    "KeyScope",
    "Organization",
    "Project",
    "PublicIdMixin",
    "Record",
    "RenderedPdf",
    "ReconcileRun",
    "Schedule",
    "SelectedRecord",
    "ShareAccess",
    "ShareAccessKind",
    "SharingPolicy",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "new_public_id",
    "utcnow",
]
