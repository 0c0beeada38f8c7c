"""Reconcile on the laptop's S3 (rclone), which has no multipart-listing API."""

from __future__ import annotations

from portal import reconcile, storage


def test_endpoint_without_multipart_listing_is_noted_and_the_rest_still_runs(app, world):
    storage.ensure_bucket()
    storage.put_bytes("exports/1/stray/attempt-1/s.zip", b"zip", "application/zip")
    findings = reconcile.run()
    assert findings.stray_objects == ["exports/1/stray/attempt-1/s.zip"]
    assert not storage.exists("exports/1/stray/attempt-1/s.zip")
    assert "multipart uploads not checked" in findings.note
    assert "multipart uploads not checked" in reconcile.last_run().note
