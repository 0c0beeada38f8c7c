"""Object keys: a bundle's zips under the prefix of its lifetime in days and its namespace,
and every zip key, of an export or a bundle, traced back to its export."""

from __future__ import annotations

import hashlib

import pytest

from portal.storage import keys


@pytest.mark.parametrize(("hours", "days"), [(1, 1), (24, 1), (25, 2), (48, 2), (168, 7)])
def test_a_bundles_prefix_names_its_lifetime_rounded_up_to_whole_days(hours, days):
    key = keys.bundle_zip(hours, 3, "portal", "exp123", 2, "a.zip")

    assert key == f"bundles/{days}d/3/portal/exp123/attempt-2/a.zip"
    assert key.startswith(keys.bundle_prefix(days))


def test_export_of_reads_both_kinds_of_zip_key_and_nothing_else():
    namespace = keys.api_key_namespace("argon2-stored-hash")

    assert keys.export_of(keys.bundle_zip(24, 3, namespace, "exp123", 1, "a.zip")) == "exp123"
    assert keys.export_of(keys.export_zip(3, "exp456", 1, "a.zip")) == "exp456"
    assert keys.export_of("renders/3/abc.pdf") is None
    assert keys.export_of("bundles/1d/3/portal") is None


def test_the_api_namespace_is_16_hex_digits_of_the_stored_hash_never_the_hash():
    namespace = keys.api_key_namespace("stored-hash")

    assert namespace == hashlib.sha256(b"stored-hash").hexdigest()[:16]
    assert "stored" not in namespace


def test_attempt_of_reads_the_attempt_that_wrote_a_zip_key_and_nothing_else():
    assert keys.attempt_of(keys.export_zip(3, "exp456", 12, "a.zip")) == 12
    assert keys.attempt_of(keys.bundle_zip(24, 3, "portal", "exp123", 2, "a.zip")) == 2
    assert keys.attempt_of("exports/3/exp456/attempt-x/a.zip") is None
    assert keys.attempt_of("exports/3/exp456/attempt-\u0663/a.zip") is None  # Arabic-Indic 3
    assert keys.attempt_of("renders/3/attempt-1/abc.pdf") is None
