"""Records pushed in by the system that owns them, and their photos."""

from __future__ import annotations

from flask import abort, request

from portal.api import present, schemas
from portal.api.blueprint import bp
from portal.api.spec import api_spec, responses
from portal.models import Project, Record
from portal.records import queries, upsert
from portal.tenancy import get_or_404

TAGS = ("projects and records",)


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
    content = upsert.RecordContent(
        **json.model_dump(exclude={"checklist"}),
        checklist=tuple((line.label, line.result, line.comment) for line in json.checklist),
    )
    result = upsert.upsert(project, external_ref, content)
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
    """Add a photo to a record (multipart/form-data: `photo`, optional `caption`)

    The photo is checked and given its report-size rendition, as in the portal; the record's
    version moves and it is queued for pre-rendering."""
    project = get_or_404(Project, project_id)
    record = record_by_reference(project, external_ref)
    upload = request.files.get("photo")
    if upload is None:
        abort(422, "Send the photo as the multipart/form-data field `photo`.")
    data = upload.read()
    try:
        attachment = upsert.add_photo(record, upload.filename or "photo", data, form.caption)
    except ValueError as exc:
        abort(422, str(exc))
    return present.photo_out(attachment), 201


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
