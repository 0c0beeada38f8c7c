"""CloudFront invalidation of deleted export zips, against moto's CloudFront."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from jobs.sweep import run_sweep
from portal.models import utcnow
from portal.storage import cdn
from portal.storage import client as s3
from tests.factories import login
from tests.helpers import confirm_and_post


@pytest.fixture
def app(moto_app):
    return moto_app


def create_distribution(origin_domain: str) -> str:
    """A distribution in front of `origin_domain` (moto wants an S3 origin's bucket to exist)."""
    if ".s3." in origin_domain:
        origin = {"S3OriginConfig": {"OriginAccessIdentity": ""}}
    else:
        origin = {
            "CustomOriginConfig": {
                "HTTPPort": 80,
                "HTTPSPort": 443,
                "OriginProtocolPolicy": "https-only",
            }
        }
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "sitepack test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [{"Id": "bucket", "DomainName": origin_domain, **origin}],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "bucket",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
    return cdn.client().create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def invalidated_paths(distribution: str) -> list[str]:
    client = cdn.client()
    listing = client.list_invalidations(DistributionId=distribution)["InvalidationList"]
    paths = []
    for summary in listing.get("Items") or []:
        batch = client.get_invalidation(DistributionId=distribution, Id=summary["Id"])
        paths += batch["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    return paths


def ready_export(make_export, key: str):
    s3.put_bytes(key, b"zip", "application/zip")
    return make_export(
        status="completed",
        parts=[key],
        finished_at=utcnow(),
        expires_at=utcnow() + timedelta(days=1),
    )


def test_revoke_with_a_distribution_configured_invalidates_the_zips_path(
    app, client, world, make_export
):
    distribution = create_distribution(f"{s3.bucket()}.s3.amazonaws.com")
    app.config["CDN_DISTRIBUTION_ID"] = distribution
    export = ready_export(make_export, "exports/1/abc/attempt-1/Sitepack-HVT.zip")
    login(client, "admin@acme.test")
    assert confirm_and_post(client, export, "revoke").status_code == 303
    assert invalidated_paths(distribution) == ["/exports/1/abc/attempt-1/Sitepack-HVT.zip"]


def test_revoking_an_export_of_three_zips_deletes_and_invalidates_all_three(
    app, client, world, make_export
):
    distribution = create_distribution(f"{s3.bucket()}.s3.amazonaws.com")
    app.config["CDN_DISTRIBUTION_ID"] = distribution
    export = make_export(status="completed", parts=3, expires_at=utcnow() + timedelta(days=1))
    keys = export.object_keys
    for key in keys:
        s3.put_bytes(key, b"zip", "application/zip")
    login(client, "admin@acme.test")
    assert confirm_and_post(client, export, "revoke").status_code == 303
    assert sorted(invalidated_paths(distribution)) == sorted(f"/{key}" for key in keys)
    assert s3.list_keys("exports/") == []


def test_lookup_finds_the_distribution_serving_the_bucket_across_pages(app):
    bucket = s3.bucket()
    s3.boto().create_bucket(Bucket=f"{bucket}-other")
    create_distribution(f"{bucket}-other.s3.amazonaws.com")
    create_distribution("elsewhere.example.com")
    ours = create_distribution(f"{bucket}.s3.eu-west-1.amazonaws.com")
    pages = (
        cdn.client().get_paginator("list_distributions").paginate(PaginationConfig={"PageSize": 1})
    )
    assert len(list(pages)) >= 3  # one distribution a page: the lookup must follow NextMarker
    assert cdn.find_distribution(bucket, page_size=1) == ours
    assert cdn.find_distribution(f"{bucket}-missing", page_size=1) is None


def test_sweeper_expiring_a_zip_invalidates_it_through_the_looked_up_distribution(
    app, world, make_export
):
    distribution = create_distribution(f"{s3.bucket()}.s3.amazonaws.com")
    app.config["CDN_LOOKUP"] = True
    export = ready_export(make_export, "exports/1/old/attempt-1/old.zip")
    export.expires_at = utcnow() - timedelta(minutes=1)
    from portal.extensions import db

    db.session.commit()
    assert run_sweep()["zips_expired"] == 1
    assert invalidated_paths(distribution) == ["/exports/1/old/attempt-1/old.zip"]


def test_without_a_cdn_configured_nothing_is_submitted(app):
    assert cdn.invalidate(["exports/1/x/attempt-1/x.zip"]) == []


def test_cloudfront_unreachable_is_logged_not_raised(app):
    app.config.update(
        CDN_DISTRIBUTION_ID="EDFDVBD6EXAMPLE", CLOUDFRONT_ENDPOINT_URL="http://127.0.0.1:9"
    )
    app.extensions.pop("cloudfront", None)
    assert cdn.invalidate(["exports/1/x/attempt-1/x.zip"]) == []
