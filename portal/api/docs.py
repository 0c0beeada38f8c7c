"""The API's OpenAPI document, and the same document as a page people can read.

The page is rendered on the server from the document (no script: the CSP allows only our
own, and a Swagger UI from a CDN would not load), so it is exactly as current as the JSON.
"""

from __future__ import annotations

import re

from flask import jsonify, render_template
from markupsafe import Markup, escape

from portal.api import problems
from portal.api.blueprint import bp
from portal.api.spec import document


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/reference")
def reference():
    spec = document()
    return render_template(
        "api/reference.html",
        spec=spec,
        operations=operations(spec),
        schemas=spec["components"]["schemas"],
        problem_types=sorted(problems.TYPES.items()),
    )


# Inline code in the document's descriptions (CommonMark, as OpenAPI has them): the only
# Markdown they use.
CODE_SPAN = re.compile(r"`([^`]+)`")


@bp.app_template_filter("code_spans")
def code_spans(text: str | None) -> Markup:
    """A description as HTML: escaped, its `backticked` words in <code>."""
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(text or ""))))


def operations(spec: dict) -> list[dict]:
    """Every operation, in the document's path order, with its method and path."""
    return [
        {"method": method.upper(), "path": path, **operation}
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]
