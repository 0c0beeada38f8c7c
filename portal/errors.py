"""Every error answers with a page a person can read (or a problem document for the API,
portal/api/problems.py), never a trace."""

import functools
import math
import time

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.api import problems
from portal.extensions import db, limiter

MESSAGES = {
    400: "The request could not be understood. Check what you entered and try again.",
    403: "You don't have permission to do that.",
    404: "There is nothing here. It may have been removed, or the link may be wrong.",
    405: "That action isn't available here.",
    413: (
        "That request is too large. To export many records, use “Select all” on the records "
        "page: the selection is kept by Sitepack, so it never travels in a form."
    ),
    429: "Too many requests. Wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged; please try again shortly.",
}
QUEUE_DOWN = (
    "Sitepack's export queue can't be reached right now, so nothing new could be started. "
    "An export that was already saved is kept and starts by itself when the queue is back. "
    "Try again in a minute."
)
# Seconds a client is told to wait when the queue (Redis) is unreachable.
QUEUE_DOWN_RETRY_AFTER = 30
DATABASE_DOWN = "Sitepack's database is restarting. Nothing was lost; try again in a few seconds."
# Seconds a client is told to wait while the database cannot be reached (a restart, a failover).
DATABASE_DOWN_RETRY_AFTER = 5


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, answered_after_rollback(handle_csrf))
    app.register_error_handler(HTTPException, answered_after_rollback(handle_http))
    app.register_error_handler(RedisError, answered_after_rollback(handle_queue_down))
    app.register_error_handler(OperationalError, answered_after_rollback(handle_database_down))
    app.register_error_handler(Exception, answered_after_rollback(handle_unexpected))


def answered_after_rollback(handler):
    """Every error is answered from a clean session. A failed flush leaves the session
    unusable until rolled back, and the error page reads the signed-in user from it: without
    the rollback the handler itself raised and the client got no answer at all. Whatever the
    view had not committed is not wanted after an error anyway."""

    @functools.wraps(handler)
    def answer(error):
        try:
            db.session.rollback()
        except SQLAlchemyError:
            current_app.logger.warning("rollback failed before answering %r", error)
        return handler(error)

    return answer


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, title: str, message: str, api_detail: str | None = None):
    """`api_detail` replaces `message` for the API, whose readers are programs' authors."""
    if problems.is_api():
        return problems.problem(status, api_detail or message, title), status
    if wants_json():
        return jsonify({"status": status, "title": title, "detail": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_csrf(error: CSRFError):
    return render_error(400, "Your form expired", "Reload the page and try again.")


def handle_http(error: HTTPException):
    status = error.code or 500
    message = error.description if _custom(error) else MESSAGES.get(status, error.description)
    body, status = render_error(status, error.name, message, api_detail(error))
    # The exception's own headers (Allow on a 405), not its HTML page's Content-Type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = rate_limit_wait()
    return body, status, headers


def rate_limit_wait() -> str:
    """Seconds until the breached limit's window resets (unless the 429 says it itself, as the
    login limits do). Flask-Limiter's own Retry-After is
    renamed (config: RATELIMIT_HEADER_RETRY_AFTER), as it would overwrite the API's polling
    hint on a 202 with the window's reset; a 429 gets the real header here."""
    breached = limiter.current_limit
    seconds = breached.reset_at - time.time() if breached else QUEUE_DOWN_RETRY_AFTER
    return str(max(1, math.ceil(seconds)))


def api_detail(error: HTTPException) -> str:
    status = error.code or 500
    if status == 429:
        return (
            f"Too many requests (the limit is {error.description}, per person, counted across "
            "the portal and the API). Retry after the number of seconds in Retry-After."
        )
    if _custom(error):
        return error.description
    kind = problems.TYPES.get(status)
    return kind.explanation if kind else error.description


def handle_queue_down(error: RedisError):
    """Redis holds only the queue and the rate limits; the database is the truth. Whatever
    needed Redis answers 503 and Retry-After, while every page that only reads keeps working.
    A row committed before the failure stays pending: the sweeper enqueues it again."""
    current_app.logger.warning(
        "Redis unreachable on %s %s: %r", request.method, request.path, error
    )
    body, status = render_error(503, "Exports are paused", QUEUE_DOWN)
    return body, status, {"Retry-After": str(QUEUE_DOWN_RETRY_AFTER)}


def handle_database_down(error: OperationalError):
    """PostgreSQL restarting or failing over (the rehearsal's restart gave every status poll a
    500 for 20 s): a 503 with Retry-After, which balancers and htmx's next poll ride out. The
    page is plain: the error template reads the signed-in user, from the database."""
    current_app.logger.warning("database unreachable on %s %s: %s", request.method, request.path,
                               str(error).splitlines()[0])  # fmt: skip
    headers = {"Retry-After": str(DATABASE_DOWN_RETRY_AFTER)}
    if problems.is_api():
        return problems.problem(503, DATABASE_DOWN, "Service Unavailable"), 503, headers
    if wants_json():
        return (
            jsonify({"status": 503, "title": "Service Unavailable", "detail": DATABASE_DOWN}),
            503,
            headers,
        )
    return f"<!doctype html><title>Service Unavailable</title><p>{DATABASE_DOWN}</p>", 503, headers


def handle_unexpected(error: Exception):
    current_app.logger.exception("Unhandled error on %s", request.path)
    return render_error(500, InternalServerError().name, MESSAGES[500])


def _custom(error: HTTPException) -> bool:
    """A description given by our own code (abort(400, "...")) is meant for the user."""
    return type(error).description != error.description
