"""Every error answers with a page a person can read (or JSON for the API), never a trace."""

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: "The request could not be understood. Check what you entered and try again.",
    403: "You don't have permission to do that.",
    404: "There is nothing here. It may have been removed, or the link may be wrong.",
    405: "That action isn't available here.",
    413: "That upload is too large.",
    429: "Too many requests. Wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged; please try again shortly.",
}


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, title: str, message: str):
    if wants_json():
        return jsonify({"status": status, "title": title, "detail": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_csrf(error: CSRFError):
    return render_error(400, "Your form expired", "Reload the page and try again.")


def handle_http(error: HTTPException):
    status = error.code or 500
    message = error.description if _custom(error) else MESSAGES.get(status, error.description)
    return render_error(status, error.name, message)


def handle_unexpected(error: Exception):
    import flask

    flask.current_app.logger.exception("Unhandled error on %s", request.path)
    return render_error(500, InternalServerError.name, MESSAGES[500])


def _custom(error: HTTPException) -> bool:
    """A description given by our own code (abort(400, "...")) is meant for the user."""
    return type(error).description != error.description
