"""CloudFront in front of the bucket: when a zip is deleted, its edge copies must go too.

A revoked export whose zip an edge location still caches would stay downloadable for the
cache's lifetime; an invalidation for the object's path closes that gap. With no CDN
configured every function here does nothing, so the laptop and the tests need no CloudFront.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app

from portal import aws
from portal.storage import client as s3

# CloudFront accepts at most 3,000 paths in progress per distribution; stay well below.
PATHS_PER_BATCH = 1000


def client():
    """CloudFront with the same credentials as S3."""
    return aws.client("cloudfront", current_app.config["CLOUDFRONT_ENDPOINT_URL"])


def distribution_id() -> str | None:
    """The configured distribution, or the one found by the bucket's origin (looked up once
    per app: distributions change far less often than processes restart)."""
    cfg = current_app.config
    if cfg["CDN_DISTRIBUTION_ID"]:
        return cfg["CDN_DISTRIBUTION_ID"]
    if not cfg["CDN_LOOKUP"]:
        return None
    ext = current_app.extensions
    if "cdn_distribution" not in ext:
        ext["cdn_distribution"] = find_distribution(s3.bucket())
    return ext["cdn_distribution"]


def find_distribution(bucket: str, page_size: int | None = None) -> str | None:
    """The first distribution with an origin serving `bucket`, across every page."""
    pages = (
        client()
        .get_paginator("list_distributions")
        .paginate(PaginationConfig={"PageSize": page_size} if page_size else {})
    )
    for page in pages:
        for distribution in page["DistributionList"].get("Items") or []:
            origins = distribution["Origins"].get("Items") or []
            if any(serves_bucket(origin["DomainName"], bucket) for origin in origins):
                return distribution["Id"]
    return None


def serves_bucket(domain: str, bucket: str) -> bool:
    """S3 origins are `<bucket>.s3.amazonaws.com` or `<bucket>.s3.<region>.amazonaws.com`
    (and `.s3-website...` for website endpoints)."""
    name, _, rest = domain.lower().partition(".s3")
    return name == bucket.lower() and rest.endswith(".amazonaws.com")


def invalidate(keys: list[str]) -> list[str]:
    """Submit invalidations for the objects' paths; the invalidation ids, [] without a CDN.

    Called after the database change and the delete have happened: a CloudFront outage is
    logged, never raised, so it cannot undo or block a revoke (the row already says revoked,
    and the download route reads the row).
    """
    if not keys:
        return []
    try:
        target = distribution_id()
        if target is None:
            return []
        return [
            submit(target, keys[i : i + PATHS_PER_BATCH])
            for i in range(0, len(keys), PATHS_PER_BATCH)
        ]
    except (BotoCoreError, ClientError) as exc:
        current_app.logger.warning("CDN invalidation of %d paths failed: %s", len(keys), exc)
        return []


def submit(target: str, keys: list[str]) -> str:
    paths = ["/" + quote(key.lstrip("/"), safe="/-_.~") for key in keys]
    answer = client().create_invalidation(
        DistributionId=target,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": uuid.uuid4().hex,
        },
    )
    return answer["Invalidation"]["Id"]
