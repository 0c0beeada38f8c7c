"""Reconcile on the laptop's S3 (rclone), which has no multipart-listing API."""

from __future__ import annotations

from portal.storage import client as s3
from portal.storage import reconcile


def test_endpoint_without_multipart_listing_is_noted_and_the_rest_still_runs(app, world):
    s3.ensure_bucket()
    s3.put_bytes("exports/1/stray/attempt-1/s.zip", b"zip", "application/zip")
    findings = reconcile.run()
    assert findings.stray_objects == ["exports/1/stray/attempt-1/s.zip"]
    assert not s3.exists("exports/1/stray/attempt-1/s.zip")
    assert "multipart uploads not checked" in findings.uploads.note
    assert "multipart uploads not checked" in reconcile.last_run().note
