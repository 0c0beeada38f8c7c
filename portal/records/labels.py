"""Words for stored codes, as template filters every area can use (pages, PDFs, emails)."""

from portal.records.blueprint import bp

KIND_LABELS = {"inspection": "Inspection", "issue": "Issue", "task": "Task", "ncr": "NCR"}
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "closed": "Closed"}
CHECK_LABELS = {"pass": "Pass", "fail": "Fail", "n/a": "N/A"}


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@bp.app_template_filter("status_label")
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@bp.app_template_filter("check_label")
def check_label(result: str) -> str:
    return CHECK_LABELS.get(result, result)


@bp.app_template_filter("css_token")
def css_token(code: str) -> str:
    """A stored code as a class-name suffix: `n/a` becomes `na`, `in_progress` stays."""
    return "".join(ch for ch in code if ch.isalnum() or ch in "_-")


@bp.app_template_filter("thousands")
def thousands(number: int) -> str:
    return f"{number:,}"


@bp.context_processor
def label_maps() -> dict:
    """The choices the records pages offer in their filter menus."""
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS}
