"""The record upsert's report fields: raised and closed by, an NCR's findings, the sign-off
with its signature picture, and who took a photo; each within its limit, else 422
problem+json and nothing written or stored."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from portal.extensions import db
from portal.models import Record
from portal.storage import client as s3
from portal.storage import keys
from tests.api.calls import assert_problem
from tests.api.test_records import RECORD, records_url
from tests.branding import logos

NCR = {
    **RECORD,
    "kind": "ncr",
    "status": "closed",
    "raised_by": "Priya Shah (Site Engineer)",
    "closed_by": "Declan Murphy (Site Manager)",
    "closed_at": "2026-02-01T17:05:00+01:00",
    "root_cause": "Ties under-tightened.",
    "disposition": "repair",
    "corrective_action": "Repair to the engineer's detail.",
}


def signature() -> str:
    out = io.BytesIO()
    Image.new("RGB", (900, 300), (20, 30, 120)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_an_ncr_with_its_findings_and_a_signed_sign_off_is_stored_and_shown(api, world, bucket):
    sign_off = {"name": "Declan Murphy", "role": "Site Manager", "date": "2026-02-02"}
    body = {**NCR, "sign_off": {**sign_off, "signature": signature()}}

    answer = api.put(records_url(world, "NCR-7"), json=body)

    assert answer.status_code == 201, answer.get_json()
    shown = answer.get_json()
    assert shown["closed_at"] == "2026-02-01T16:05:00Z"
    assert (shown["root_cause"], shown["disposition"]) == ("Ties under-tightened.", "repair")
    assert {k: shown["sign_off"][k] for k in sign_off} == sign_off
    record = db.session.scalar(db.select(Record))
    key = keys.signature(record.organization_id, record.public_id, record.signature_sha256)
    with Image.open(io.BytesIO(s3.get_bytes(key))) as stored:
        assert stored.format == "PNG" and stored.size == (600, 200)
    assert api.put(records_url(world, "NCR-7"), json=body).get_json()["version"] == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"kind": "issue"}, "body"),
        ({"disposition": "burn it"}, "body.disposition"),
        ({"root_cause": "x" * 5001}, "body.root_cause"),
        ({"raised_by": "x" * 201}, "body.raised_by"),
        ({"closed_at": "2026-02-01T17:05:00"}, "body.closed_at"),
        ({"sign_off": {"role": "x" * 101}}, "body.sign_off.role"),
        ({"sign_off": {"signature": "not base64!"}}, "body.sign_off.signature"),
        ({"sign_off": {"nickname": "Dec"}}, "body.sign_off.nickname"),
    ],
    ids=["findings on an issue", "disposition", "root cause", "raised by", "naive time",
         "role", "signature text", "unknown"],
)  # fmt: skip
def test_a_report_field_out_of_bounds_is_422_naming_it(api, world, bucket, change, field):
    body = assert_problem(
        api.put(records_url(world, "NCR-7"), json={**NCR, **change}), 422, "validation"
    )
    assert field in {error["field"] for error in body["errors"]}
    assert Record.query.count() == 0


@pytest.mark.parametrize(
    "picture, says",
    [(base64.b64encode(logos.svg()).decode(), "PNG or JPEG"), ("iVBORw0KGgo=", "damaged")],
    ids=["an svg", "a cut png"],
)
def test_a_signature_that_is_no_picture_is_422_and_stores_nothing(
    api, world, bucket, picture, says
):
    body = {**NCR, "sign_off": {"name": "Dec", "signature": picture}}
    problem = assert_problem(api.put(records_url(world, "NCR-7"), json=body), 422, "validation")
    assert says in problem["detail"]
    assert Record.query.count() == 0 and s3.list_keys(keys.ATTACHMENTS) == []


def test_a_photo_says_when_its_camera_took_it_and_by_whom(api, world, bucket):
    api.put(records_url(world, "FA-1001"), json=RECORD)
    camera = Image.new("RGB", (320, 240), (90, 140, 180))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:04 07:45:12"
    out = io.BytesIO()
    camera.save(out, "JPEG", exif=exif.tobytes())
    url = records_url(world, "FA-1001") + "/photos"

    mine = api.post(url, data={"photo": (io.BytesIO(out.getvalue()), "a.jpg")}).get_json()
    named = api.post(url, data={"photo": (io.BytesIO(out.getvalue()), "b.jpg"), "taken_by": "Ann"})

    assert (mine["taken_at"], mine["taken_by"]) == ("2026-03-04T07:45:12", world.member_a.name)
    assert named.get_json()["taken_by"] == "Ann"
