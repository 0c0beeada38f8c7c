"""Text no request may bring in, refused in one place before any view reads it.

- Control characters other than tab, line feed and carriage return: nobody types them, and
  a NUL byte is one PostgreSQL cannot store (the insert fails after the view did its work).
- Lone surrogates (`"\\ud800"` in JSON) and the non-characters U+FFFE and U+FFFF: no
  encoding can store the first, and neither is text.
- JSON nested deeper than any request model: Python's parser recurses, and 100,000 brackets
  exhaust its stack. The depth is counted on the raw body, before anything parses it.

Paths are screened by the routes' own converter (`PathSegment`). Forms (the names and
values of their fields, and uploaded files' names) are screened for the whole portal; the
API screens its bodies with `json_problem` and `form_problem` (portal/api/blueprint.py),
after it has set how large a body may be. Query strings are not screened: pages clean their
filters and say what they ignored (records.filters.clean_text); the API's query models
refuse such text (api.schemas.Strict).
"""

from __future__ import annotations

import re
import unicodedata

from flask import abort, request
from werkzeug.datastructures import FileStorage
from werkzeug.routing import BaseConverter

from portal.api.problems import is_api

UNSTORABLE_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
UNSTORABLE = re.compile(f"[{UNSTORABLE_CHARS}]")
# The deepest request model is 4 levels (ExportIn › filter, RecordIn › checklist › line).
MAX_JSON_DEPTH = 16
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
JSON_BRACKET = re.compile(rb"[\[\]{}]")


class PathSegment(BaseConverter):
    """Every route's default `<value>`: a segment with none of those characters, nor a tab
    or line break. Any other path matches no route and answers 404, as an unknown id does,
    so no view is handed an id that PostgreSQL would refuse to compare."""

    regex = f"[^/\\t\\n\\r{UNSTORABLE_CHARS}]+"
    part_isolating = True  # werkzeug guesses False for any regex with a "/" in it


def unstorable(text: str) -> str | None:
    """Why `text` may not come in ("a control character (U+0000) on line 2"), or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    line = text.count("\n", 0, found.start()) + 1
    where = f" on line {line}" if "\n" in text else ""
    name = unicodedata.name(char, "")
    return f"{what} (U+{ord(char):04X}{' ' + name if name else ''}){where}"


def refuse_unstorable_forms() -> None:
    """Runs before every portal view (after CSRF has read the form): 400 naming the first
    field that may not come in."""
    if is_api():
        return
    for name, part, reason in unstorable_form_fields():
        abort(
            400,
            f"The field “{UNSTORABLE.sub('?', name)[:40]}” has {reason} in its {part}. "
            "Remove it and send the form again.",
        )


def unstorable_form_fields() -> list[tuple[str, str, str]]:
    """(field, "name" or "value", why) of the posted form's fields that may not come in."""
    found = []
    for name, value in [*request.form.items(multi=True), *request.files.items(multi=True)]:
        text = (value.filename or "") if isinstance(value, FileStorage) else value
        for part, what in ((name, "name"), (text, "value")):
            reason = unstorable(part)
            if reason:
                found.append((name, what, reason))
    return found


def too_deep(body: bytes) -> str | None:
    """Whether a JSON body nests deeper than MAX_JSON_DEPTH, told before anything parses it:
    brackets outside strings, counted until the depth passes the limit."""
    depth = 0
    for bracket in JSON_BRACKET.finditer(JSON_STRING.sub(b'""', body)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > MAX_JSON_DEPTH:
            return f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
    return None


def unstorable_strings(value, path: str = "") -> list[tuple[str, str]]:
    """(path, why) of every string of parsed JSON, keys included, that may not come in;
    paths as `links.0.url`."""
    if isinstance(value, str):
        reason = unstorable(value)
        return [(path, reason)] if reason else []
    if isinstance(value, dict):
        items = [(key, key, item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(str(index), "", item) for index, item in enumerate(value)]
    else:
        return []
    found = []
    for step, key, item in items:
        inner = f"{path}.{step}" if path else step
        found += unstorable_strings(key, inner) + unstorable_strings(item, inner)
    return found
