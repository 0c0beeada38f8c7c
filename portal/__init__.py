"""Sitepack's web application, built by a factory of named steps."""

from flask import Flask

from portal import config as settings
from portal.extensions import csrf, db, limiter, login_manager, mail, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    load_config(app, overrides)
    redact_logs(app)
    answer_unchanged_polls(app)
    trust_proxies(app)
    init_extensions(app)
    screen_paths(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def load_config(app: Flask, overrides: dict | None) -> None:
    app.config.update(settings.from_environment())
    app.config.update(overrides or {})
    settings.finalise(app.config)


def redact_logs(app: Flask) -> None:
    from portal.redaction import install

    install(app)


def answer_unchanged_polls(app: Flask) -> None:
    """An export's status poll that nothing changed is answered 304 before Flask's request
    machinery (portal/exports/poll.py); inside ProxyFix, so it sees the client's address."""
    from portal.exports.poll import UnchangedPolls

    app.wsgi_app = UnchangedPolls(app)


def trust_proxies(app: Flask) -> None:
    """Behind load balancers the client is in X-Forwarded-For (gunicorn does not rewrite
    REMOTE_ADDR), and the per-address login limit and the download log need the client.

    What is left of the header is then the trusted address alone, for code that reads it
    itself: Flask-Login's "strong" session protection takes its first entry, which the
    client writes (the rehearsal found it behind nginx: a client's own header logged it out,
    and a copied cookie naming its owner's address would have passed)."""
    app.wsgi_app = OnlyTheTrustedAddress(app.wsgi_app)
    if app.config["TRUSTED_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXY_COUNT"])


class OnlyTheTrustedAddress:
    """WSGI: X-Forwarded-For replaced with REMOTE_ADDR, as trust_proxies says why."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_X_FORWARDED_FOR", None)
        if "REMOTE_ADDR" in environ:
            environ["HTTP_X_FORWARDED_FOR"] = environ["REMOTE_ADDR"]
        return self.wsgi_app(environ, start_response)


def init_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401  (tables must be known to Flask-Migrate)
    from portal.auth.session import configure_login
    from portal.exports.bundle_form import room_for_links
    from portal.screening import refuse_unstorable_forms
    from portal.webhooks import outbox

    db.init_app(app)
    configure_sqlite(app)
    migrate.init_app(app, db, directory=str(settings.INSTANCE_DIR.parent / "migrations"))
    app.before_request(room_for_links)  # before CSRF's own hook, which reads the form
    csrf.init_app(app)
    app.before_request(refuse_unstorable_forms)  # after CSRF's hook: a forged form is refused first
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    configure_login(app)
    outbox.listen()


def configure_sqlite(app: Flask) -> None:
    """The laptop database is shared by web and worker processes: WAL lets readers and one
    writer overlap, and a busy timeout makes a writer wait instead of failing."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def screen_paths(app: Flask) -> None:
    """Every route's `<value>` refuses control characters (portal/screening.py); set before
    any route is added, as a rule takes its converter when it is added."""
    from portal.screening import PathSegment

    app.url_map.converters["default"] = PathSegment


def register_blueprints(app: Flask) -> None:
    from portal.admin.metrics import bp as metrics_bp
    from portal.admin.views import bp as admin_bp
    from portal.admin.webhooks import bp as webhooks_bp
    from portal.api.views import bp as api_bp
    from portal.apikeys.views import bp as apikeys_bp
    from portal.auth.views import bp as auth_bp
    from portal.exports.views import bp as exports_bp
    from portal.organisation.views import bp as organisation_bp
    from portal.records.views import bp as records_bp
    from portal.schedules.views import bp as schedules_bp
    from portal.shares.views import bp as shares_bp
    from portal.verify.views import bp as verify_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(apikeys_bp)
    app.register_blueprint(shares_bp)
    app.register_blueprint(schedules_bp)
    app.register_blueprint(organisation_bp)
    app.register_blueprint(verify_bp)
    # No cookie authenticates the API (portal/api/auth.py), so there is no CSRF to guard.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    if app.config["SITEPACK_ENV"] == "development":
        from portal.devmail.views import bp as devmail_bp

        app.register_blueprint(devmail_bp)


def register_template_helpers(app: Flask) -> None:
    from portal import formtokens
    from portal.exports import wording
    from portal.formatting import register

    register(app)
    formtokens.register(app)
    wording.register(app)


def register_security_headers(app: Flask) -> None:
    from portal.security import register

    register(app)


def register_error_handlers(app: Flask) -> None:
    from portal.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    from portal.cli import register

    register(app)
