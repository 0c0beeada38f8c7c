"""Importing this module registers every /api/v1 route on the blueprint, and the error
handler that turns the export service's refusals into problem documents."""

# Each module adds its routes to bp when imported.
from portal.api import bundles, docs, exports, problems, projects, records, schedules  # noqa: F401
from portal.api.blueprint import bp
from portal.exports.errors import ExportRequestError

__all__ = ["bp"]


@bp.errorhandler(ExportRequestError)
def refused(error: ExportRequestError):
    """The service's own words, with its status: 400, 403, 409, 410 or 429."""
    return problems.problem(error.status, str(error), headers=error.headers)
