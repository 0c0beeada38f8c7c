"""The reader of cached PDFs (obstore): built from the same settings as the boto3 client."""

from __future__ import annotations

from portal.storage.client import Reader, Settings


def test_the_reader_is_made_from_production_settings_with_no_endpoint_or_keys():
    """On AWS the keys may come from the environment or an instance role, not the config."""
    assert Reader(Settings(None, "eu-west-1", None, None, "sitepack-exports")) is not None
