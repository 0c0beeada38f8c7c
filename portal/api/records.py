"""Records pushed in by the system that owns them, and their photos."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC

from flask import abort, redirect, request
from flask_login import current_user
from redis.exceptions import RedisError

from portal import signatures
from portal.api import present, schemas
from portal.api.blueprint import bp
from portal.api.spec import api_spec, responses
from portal.models import Project, Record
from portal.pictures import PictureRefused
from portal.records import pdf, queries, upsert
from portal.tenancy import get_or_404

TAGS = ("projects and records",)
PDF_RETRY_SECONDS = 2  # one record renders in well under a second on an idle worker-fast


@bp.put("/projects/<project_id>/records/<external_ref>")
@api_spec.validate(
    json=schemas.RecordIn,
    resp=responses(403, 415, 422, HTTP_200=schemas.RecordOut, HTTP_201=schemas.RecordOut),
    tags=TAGS,
    operation_id="put_record",
)
def put_record(project_id: str, external_ref: str, json: schemas.RecordIn):
    """Create or replace a record by its reference in the system that owns it

    201 when created, 200 when replaced or unchanged; the version moves only when the
    content changed, and a changed record is queued for pre-rendering."""
    project = get_or_404(Project, project_id)
    check_reference(external_ref)
    signature = signature_png(json.sign_off.signature)
    sign_off = json.sign_off
    content = upsert.RecordContent(
        **json.model_dump(exclude={"checklist", "sign_off", "closed_at"}),
        checklist=tuple((line.label, line.result, line.comment) for line in json.checklist),
        closed_at=json.closed_at.astimezone(UTC).replace(tzinfo=None) if json.closed_at else None,
        sign_off_name=sign_off.name,
        sign_off_role=sign_off.role,
        sign_off_date=sign_off.date,
        signature_sha256=signatures.digest(signature) if signature else None,
    )
    result = upsert.upsert(project, external_ref, content, signature)
    out = present.record_out(result.record)
    return out, 201 if result.created else 200


@bp.post("/projects/<project_id>/records/<external_ref>/photos")
@api_spec.validate(
    form=schemas.PhotoForm,
    resp=responses(403, 413, 415, 422, HTTP_201=schemas.PhotoOut),
    tags=TAGS,
    operation_id="post_photo",
)
def post_photo(project_id: str, external_ref: str, form: schemas.PhotoForm):
    """Add a photo to a record (multipart/form-data: `photo`, optional `caption`, `taken_by`)

    The photo is checked and given its report-size rendition, as in the portal, and the time
    it was taken is read from its EXIF; who took it is `taken_by`, else the key's user. The
    record's version moves and it is queued for pre-rendering."""
    project = get_or_404(Project, project_id)
    record = record_by_reference(project, external_ref)
    upload = request.files.get("photo")
    if upload is None:
        abort(422, "Send the photo as the multipart/form-data field `photo`.")
    data = upload.read()
    try:
        attachment = upsert.add_photo(
            record,
            upload.filename or "photo",
            data,
            form.caption,
            form.taken_by or current_user.name,
        )
    except ValueError as exc:
        abort(422, str(exc))
    return present.photo_out(attachment), 201


@bp.get("/projects/<project_id>/records/<external_ref>/pdf")
@api_spec.validate(
    resp=responses(503, codes=("HTTP_302", "HTTP_202")), tags=TAGS, operation_id="get_record_pdf"
)
def get_record_pdf(project_id: str, external_ref: str):
    """The record's own PDF

    302 to a presigned URL that works for 60 seconds when its current version is rendered;
    otherwise it is queued for rendering on the fast lane and the answer is 202 with a
    `Location` to ask again (this same URL) after `Retry-After` seconds."""
    record = record_by_reference(get_or_404(Project, project_id), external_ref)
    try:
        located = pdf.request(record)
    except RedisError:
        abort(503, "Rendering is paused for a moment: try again in a minute.")
    if located.cached:
        return redirect(located.download_url(), 302)
    again = request.path
    return "", 202, {"Location": again, "Retry-After": str(PDF_RETRY_SECONDS)}


def signature_png(encoded: str | None) -> bytes | None:
    """The PNG to keep for a base64 signature (the schema capped its length); 422 if it is
    not a picture Sitepack will show."""
    if not encoded:
        return None
    try:
        return signatures.prepared_signature(base64.b64decode(encoded, validate=True))
    except binascii.Error:
        abort(422, "`sign_off.signature` is not valid base64.")
    except PictureRefused as refused:
        abort(422, f"`sign_off.signature`: {refused}")


def check_reference(external_ref: str) -> None:
    if not schemas.EXTERNAL_REF.fullmatch(external_ref):
        abort(
            422,
            "`external_ref` must be 1 to 20 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit.",
        )


def record_by_reference(project: Project, external_ref: str) -> Record:
    check_reference(external_ref)
    record = queries.record_by_reference(project, external_ref)
    if record is None:
        abort(404)
    return record
