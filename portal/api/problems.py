"""Every error under /api/v1 is an RFC 9457 problem document (application/problem+json).

Each kind of problem has a `type`: a URI naming a section of the API reference page, which
explains it. The HTTP errors raised anywhere (404 from the tenant scope, 405, 413, 429 from
the rate limiter, ...) are turned into problems by portal/errors.py, which asks `is_api`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, json, request

from portal import urls

API_PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    explanation: str  # shown on the reference page, under the type's anchor


TYPES = {
    400: ProblemType("bad-request", "Bad request", "The request could not be read."),
    401: ProblemType(
        "unauthorized",
        "Missing or invalid API key",
        "Send `Authorization: Bearer sp_...` with a key that is neither revoked nor expired. "
        "A browser session does not authenticate the API.",
    ),
    403: ProblemType(
        "forbidden",
        "Not allowed",
        "The key's scope or its user's role does not allow this (a `read` key cannot change "
        "anything).",
    ),
    404: ProblemType(
        "not-found",
        "Not found",
        "Nothing here: no such path, or no such id in your organisation (another "
        "organisation's id answers exactly the same).",
    ),
    405: ProblemType("method-not-allowed", "Method not allowed", "This path takes other methods."),
    409: ProblemType(
        "conflict",
        "Not possible in this state",
        "The export's state does not allow this yet (a download before the export is ready).",
    ),
    410: ProblemType(
        "gone", "No longer available", "The export expired or was revoked: re-order it."
    ),
    413: ProblemType("too-large", "Request too large", "The body is larger than allowed."),
    415: ProblemType(
        "unsupported-media-type",
        "Unsupported media type",
        "Send JSON as `application/json` (photos as `multipart/form-data`).",
    ),
    422: ProblemType(
        "validation",
        "Invalid request",
        "The body or query failed validation; `errors` lists each field's path and problem. "
        "Also: an `Idempotency-Key` reused with a different body.",
    ),
    429: ProblemType(
        "rate-limited",
        "Too many requests",
        "Wait for `Retry-After` seconds. The limit is per person, shared by the portal and the "
        "API.",
    ),
    500: ProblemType(
        "server-error", "Internal Server Error", "Something went wrong on our side; it is logged."
    ),
    503: ProblemType(
        "unavailable",
        "Temporarily unavailable",
        "The export queue cannot be reached; nothing was started. Retry after `Retry-After`.",
    ),
}


def is_api() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def type_uri(status: int) -> str:
    kind = TYPES.get(status) or TYPES[500 if status >= 500 else 400]
    return f"{urls.absolute('api.reference')}#problem-{kind.slug}"


def problem(
    status: int,
    detail: str,
    title: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem response; `errors` lists field paths and messages for validation."""
    kind = TYPES.get(status)
    body = {
        "type": type_uri(status),
        "title": title or (kind.title if kind else "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def unauthorized(detail: str) -> Response:
    return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="sitepack"'})


def field_errors(pydantic_errors: list[dict]) -> list[dict]:
    """Pydantic's errors as `{"field": "record_ids.3", "message": ...}` (the location
    prefixed with where it was: body or query)."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())) or "body",
            "message": error.get("msg", "invalid"),
        }
        for error in pydantic_errors
    ]
