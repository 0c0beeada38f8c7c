"""Handing out one zip of a ready export: a presigned URL that lives a minute, and a
Download row, for the portal's download link and the API's download route alike.

A Download row means a presigned link to one part went to this person (S3 does not tell
whether the transfer finished), so nothing is recorded for a refused request or a HEAD
(link checkers, mail scanners); the admin console counts people, not clicks.
"""

from __future__ import annotations

from flask import redirect, request
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.models import Download, Export, ExportPart, User
from portal.storage import client as s3

PRESIGN_SECONDS = 60


def hand_out(export: Export, part: ExportPart, user: User) -> Response:
    """302 to the part's presigned URL, recorded unless the request is a HEAD."""
    url = s3.presigned_get(part.object_key, seconds=PRESIGN_SECONDS)
    if request.method == "GET":
        db.session.add(
            Download(
                export_id=export.id,
                part=part.number,
                user_id=user.id,
                ip_address=request.remote_addr or "unknown",
            )
        )
        db.session.commit()
    response = redirect(url, code=302)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
