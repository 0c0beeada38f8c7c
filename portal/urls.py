"""Every link Sitepack sends (emails, webhook payloads, the API's answers), in one place.

Links are absolute on PUBLIC_BASE_URL, never on the request's Host header (a forged Host must
not reach an inbox), and they point at the portal, never at S3: the download route checks
login, tenant and expiry each time a link is used. They are built from the app's URL map, so
a job without a request builds the same link as a view, and a moved route moves its links.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute(endpoint: str, **values) -> str:
    """The route's URL on PUBLIC_BASE_URL; values its path does not take become the query."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"].rstrip("/"))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def export_page(public_id: str) -> str:
    return absolute("exports.show", public_id=public_id)


def export_download(public_id: str, part: int | None = None) -> str:
    """The portal's download of the export (its first zip), or of its zip number `part`."""
    return absolute("exports.download", public_id=public_id, part=part)


def api_export(public_id: str) -> str:
    return absolute("api.get_export", public_id=public_id)


def api_download(public_id: str, part: int | None = None) -> str:
    """The API's download (an API key opens it), of the first zip or of zip number `part`."""
    return absolute("api.download_export", public_id=public_id, part=part)


def share_landing(token: str) -> str:
    """A recipient's own link to a share: its landing page, which needs no login."""
    return absolute("shares.landing", token=token)


def project_records(schedule) -> str:
    """The records page with a schedule's saved filter applied."""
    return absolute("records.index", project_id=schedule.project.public_id, **schedule.filter_args)


def schedules_page() -> str:
    """The organisation's scheduled exports, where an admin resumes or deletes them."""
    return absolute("schedules.index")


def record_version(code: str) -> str:
    """A record version's verify page, printed with its QR code in the record PDF's footer."""
    return absolute("verify.version", code=code)
