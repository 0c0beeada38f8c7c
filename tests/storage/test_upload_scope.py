"""An export's superseded attempts' uploads are found by listing the export's own folder:
never every tenant's uploads, and never another export's (portal/exports/leftovers.py)."""

from __future__ import annotations

import pytest

from portal.exports import leftovers
from portal.exports.options import ExportOptions
from portal.models import Export
from portal.storage import client as s3
from portal.storage import keys
from tests import factories
from tests.helpers import listed_uploads, reload


@pytest.fixture(autouse=True)
def bucket(app):
    s3.ensure_bucket()


def unfinished_upload(key: str) -> None:
    upload = s3.boto().create_multipart_upload(Bucket=s3.bucket(), Key=key)
    s3.boto().upload_part(
        Bucket=s3.bucket(), Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024
    )


def zip_of(export: Export) -> str:
    """The key attempt 1 of the export writes its zip to, as the worker builds it."""
    if not export.is_bundle:
        return keys.export_zip(export.organization_id, export.public_id, 1, "a.zip")
    options = ExportOptions.of(export)
    return keys.bundle_zip(
        options.ttl_hours, export.organization_id, options.namespace, export.public_id, 1, "a.zip"
    )


def listing_prefixes() -> list[str]:
    """The Prefix of every ListMultipartUploads the app's client sends from now on."""
    sent = []
    s3.boto().meta.events.register(
        "provide-client-params.s3.ListMultipartUploads",
        lambda params, **_: sent.append(params.get("Prefix")),
    )
    return sent


@pytest.mark.parametrize("bundle", [False, True])
def test_aborting_an_export_s_old_uploads_lists_and_aborts_only_its_own(world, bundle):
    if bundle:
        mine = factories.bundle_in("processing", world.member_a, attempt=2, abort_uploads_below=2)
        theirs = factories.bundle_in("processing", world.member_b, attempt=1)
    else:
        mine = factories.export_in(
            "processing", world.member_a, world.project_a, 1, attempt=2, abort_uploads_below=2
        )
        theirs = factories.export_in("processing", world.member_b, world.project_b, 1, attempt=1)
    own, other = zip_of(mine), zip_of(theirs)
    unfinished_upload(own)
    unfinished_upload(other)
    sent = listing_prefixes()

    assert leftovers.abort(mine)

    assert sent == [own.removesuffix(f"{keys.ATTEMPT_FOLDER}1/a.zip")]
    assert listed_uploads() == [other]
    assert reload(mine).abort_uploads_below is None
