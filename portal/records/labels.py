"""Words for stored codes (portal/vocabulary.py), as template filters every area can use
(pages, emails; the PDF renderer registers the same functions in its own environment)."""

from flask_login import current_user

from portal import vocabulary
from portal.exports.options import NAME_MAX, PdfPolicy
from portal.records.blueprint import bp

for _filter in (
    vocabulary.kind_label,
    vocabulary.status_label,
    vocabulary.check_label,
    vocabulary.disposition_label,
    vocabulary.css_token,
):
    bp.add_app_template_filter(_filter)


@bp.app_template_filter("thousands")
def thousands(number: int) -> str:
    return f"{number:,}"


@bp.context_processor
def label_maps() -> dict:
    """The choices the records pages offer in their filter menus and export form, and the
    export title's limit, and the organisation's PDF defaults (signing offered only when on)."""
    return {
        "kind_labels": vocabulary.KIND_LABELS,
        "status_labels": vocabulary.STATUS_LABELS,
        "export_name_max": NAME_MAX,
        "export_layouts": vocabulary.EXPORT_LAYOUTS,
        "export_orders": vocabulary.EXPORT_ORDERS,
        "pdf_policy": PdfPolicy.of(getattr(current_user, "organization", None)),
    }
