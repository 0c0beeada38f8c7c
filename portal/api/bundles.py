"""/api/v1/bundles: a list of URLs becomes one zip behind an expiring link.

A bundle is an export whose items are links (portal/exports/links.py checks them,
service.request_bundle makes the row), so everything after the request is /exports': follow
it at its `Location`, download, cancel, retry, re-order, and the same webhooks. Its zips go
under the prefix of the API key that asked (keys.api_key_namespace of its stored hash).
"""

from __future__ import annotations

from flask import g
from flask_login import current_user

from portal.api import idempotency, schemas
from portal.api.blueprint import bp
from portal.api.exports import ACCEPTED, once
from portal.api.spec import api_spec
from portal.exports import service
from portal.exports.limits import export_requests
from portal.exports.options import LinkIn
from portal.models import Project
from portal.storage import keys
from portal.tenancy import get_or_404


@bp.post("/bundles")
@export_requests
@api_spec.validate(
    json=schemas.BundleIn,
    headers=schemas.ExportHeaders,
    resp=ACCEPTED,
    tags=("bundles",),
    operation_id="create_bundle",
)
def create_bundle(json: schemas.BundleIn, headers: schemas.ExportHeaders):
    """Bundle links into one zip

    202 Accepted with the export (`kind` is `bundle`), `Location` (poll it) and
    `Retry-After`. Every URL is vetted by the same guard as webhooks (public addresses
    only) when asked for, and a 400 names each one refused. Each URL is fetched once, and
    only allowed file types are kept; a link that cannot be fetched is listed in the zip's
    ERRORS.txt and counted in `files_failed` (and `warnings`); a bundle none of whose links
    gave a file fails, with each link's reason on its page. `Idempotency-Key` works as on
    POST /exports. A project files the bundle under it; `ttl_hours` sets how long its link
    works (the default is BUNDLE_TTL_HOURS, 24)."""
    project = get_or_404(Project, json.project) if json.project else None
    asked = [LinkIn(link.url, link.name) for link in json.links]
    namespace = keys.api_key_namespace(g.api_key.secret_hash)
    return once(
        idempotency.claim_of(headers.idempotency_key, json),
        lambda remember: service.request_bundle(
            current_user, project, json.name, asked, json.ttl_hours, namespace, remember
        ),
    )
