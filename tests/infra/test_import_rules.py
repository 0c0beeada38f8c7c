"""The boundary between web and worker, read from the source: a job writes through the fenced
layer and reads the chunk protocol, and never runs the code that answers a person's request
(STYLE.md, principle 15). Imports are followed transitively, those inside functions included,
so a module the worker reaches through another counts as much as one it imports itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every portal module a job may reach. A new one is added here on purpose, never by accident.
WORKER_MAY_REACH = {
    "portal.aws",  # the AWS clients' settings
    "portal.extensions",  # the extension objects, bare
    "portal.queues",  # enqueues the next job and builds its id
    "portal.tenancy",  # the public-id pattern
    "portal.urls",  # links in mails and payloads
    "portal.vocabulary",  # labels
    "portal.formatting",  # dates and sizes, for mails
    "portal.mailer",  # the emails
    "portal.imaging",  # photo resizing for the PDFs
    "portal.photos",  # photo object names
    "portal.branding",  # (the package's docstring)
    "portal.branding.brand",  # an organisation's look, a plain value in every snapshot
    "portal.branding.store",  # reading it for the PDFs and the emails
    "portal.idempotency_keys",  # forgetting expired Idempotency-Keys (the sweeper)
    "portal.records",  # (empty package)
    "portal.models",  # the rows, all of them
    "portal.models.apikeys",
    "portal.models.base",
    "portal.models.exports",
    "portal.models.lengths",
    "portal.models.records",
    "portal.models.renders",
    "portal.models.schedules",
    "portal.models.shares",
    "portal.models.tenancy",
    "portal.models.webhooks",
    "portal.exports",  # (empty package)
    "portal.exports.attempts",  # a worker's fenced writes to its export
    "portal.exports.chunks",  # the chunk protocol: plan, claim, beat, finish
    "portal.exports.options",  # what the export was asked for (a leaf)
    "portal.exports.mail_outbox",  # the emails the row owes
    "portal.exports.endings",  # how a completed export ends
    "portal.exports.leftovers",  # aborting the uploads of superseded attempts
    "portal.exports.upkeep",  # the sweeper's pass (`flask exports sweep` runs it too)
    "portal.exports.states",  # the state machine
    "portal.exports.events",  # the export's events, which feed the webhook outbox
    "portal.exports.errors",  # the failure reasons
    "portal.exports.parts",  # a bundle's parts
    "portal.exports.wording",  # an export's title and noun, for mails and payloads
    "portal.exports.resource",  # the export's viewer-independent representation
    "portal.signing",  # (empty package)
    "portal.signing.certificates",  # the organisation's signer, for the index and combined PDF
    "portal.signing.pdfs",  # signing them in place
    "portal.shares",  # (the package's docstring)
    "portal.shares.mail",  # a share's emails: the worker sends the first-download notice
    "portal.renders",
    "portal.renders.cache",
    "portal.renders.codes",  # the verify link a record PDF prints
    "portal.renders.issued",  # the PDFs the Verify page knows
    "portal.renders.entries",
    "portal.storage",
    "portal.storage.cdn",
    "portal.storage.client",
    "portal.storage.keys",
    "portal.storage.multipart",
    "portal.storage.uploads",
    "portal.outbound",  # guarded fetches: photos, webhook deliveries
    "portal.outbound.download",
    "portal.outbound.fanout",
    "portal.outbound.fetch",
    "portal.outbound.guard",
    "portal.outbound.sniff",
    "portal.webhooks",
    "portal.webhooks.catalogue",
    "portal.webhooks.delivery",
    "portal.webhooks.notices",
    "portal.webhooks.outbox",
    "portal.webhooks.payload",
    "portal.webhooks.signing",
}
# The code that answers a person's request; `*.views` anywhere counts too.
WEB_FACING = (
    "portal.api",
    "portal.exports.service",
    "portal.exports.presenter",
    "portal.exports.poll",
    "portal.admin",
    "portal.auth",
    "portal.apikeys",
)
# The app factory: the worker builds the app once (principle 4), which registers every
# blueprint without running any of them, so the walk does not follow the factory's imports.
FACTORY = "portal"


def imported_by(path: Path) -> set[str]:
    """Every module a file imports, `from a import b` counted as `a.b` when b is a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if is_module(name)}


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def source_of(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"


def packages_of(name: str) -> set[str]:
    """Importing `a.b.c` runs `a.b` first (and `a`, the factory, which is not followed)."""
    parts = name.split(".")
    return {".".join(parts[:end]) for end in range(2, len(parts))}


def reached_from(starts: set[str]) -> dict[str, str]:
    """Every Sitepack module the starts reach, each with the module that first imported it."""
    seen = {name: "" for name in starts}
    todo = list(starts)
    while todo:
        importer = todo.pop()
        for name in imported_by(source_of(importer)) | packages_of(importer):
            if name.split(".")[0] in ("portal", "jobs") and name != FACTORY and name not in seen:
                seen[name] = importer
                todo.append(name)
    return seen


def worker_reach() -> dict[str, str]:
    return reached_from({f"jobs.{path.stem}" for path in (ROOT / "jobs").glob("*.py")})


def is_web_facing(name: str) -> bool:
    return name.endswith(".views") or any(
        name == prefix or name.startswith(prefix + ".") for prefix in WEB_FACING
    )


def test_the_worker_reaches_no_web_facing_module():
    found = {(name, importer) for name, importer in worker_reach().items() if is_web_facing(name)}
    assert found == set()


def test_the_worker_reaches_only_the_allowed_modules():
    found = {
        (name, importer)
        for name, importer in worker_reach().items()
        if name.startswith("portal.") and name not in WORKER_MAY_REACH
    }
    assert found == set()


def test_the_allowlist_holds_nothing_web_facing():
    assert {name for name in WORKER_MAY_REACH if is_web_facing(name)} == set()


def test_the_rule_sees_an_import_of_the_service(tmp_path):
    sample = tmp_path / "job.py"
    sample.write_text("from portal.exports import service\nfrom portal.exports.views import bp\n")
    assert {"portal.exports.service", "portal.exports.views"} <= imported_by(sample)


def test_the_rule_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "job.py"
    sample.write_text("def run():\n    from portal.api import schemas\n")
    assert "portal.api.schemas" in imported_by(sample)


def test_the_rule_follows_imports_through_other_modules():
    reached = reached_from({"jobs.export"})
    assert reached["portal.webhooks.payload"] != "jobs.export"
    assert "portal.models.exports" in reached
