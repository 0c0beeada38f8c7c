"""Hostile input through every door: every portal form's every field, every API body field
and query parameter, every path parameter of every route. Each case is a valid request with
one value made bad (NUL and other control characters, malformed and over-long hosts, huge
fields, deep nesting, huge integers, Unicode digits and confusables) and must get an answer
below 500 (a refusal, 4xx, unless the route is one that ignores what it does not know), with
no row, job, state change or object left behind.

Nothing is missed by hand: the portal's POST routes come from the URL map and every field
name on the portal's pages must be one the table fuzzes; the API's bodies, query and header
parameters come from its OpenAPI document. One app, one set of rows and one client per role
serve the whole module (a refused request changes nothing, so the cases cannot disturb each
other). The client lets an exception that escaped the error handlers reach the test, which
is what a dropped connection is on a real server.
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from portal import create_app
from portal.api import spec
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.models import ApiKey, ExportShare, ExportStatus, WebhookDelivery
from portal.schedules import service as schedules
from portal.schedules.service import ScheduleIn
from portal.shares import tokens
from portal.storage import client as s3
from tests import factories
from tests.branding.logos import hostile as hostile_logos
from tests.helpers import (
    config_from_env,
    csrf,
    environment,
    footprint,
    for_tests,
    fresh_database,
)

HOOK = "http://127.0.0.1:9/hook"  # allowlisted below, so a valid registration is accepted
NESTED = "[" * 100_000 + "]" * 100_000
HUGE = "x" * 300_000  # past MAX_CONTENT_LENGTH (and far past any field's own limit)
LONG = "x" * 10_000
# Latin letters and their Cyrillic look-alikes: a confusable spelling of a value.
LOOKALIKE = str.maketrans("AaBCcEeHKMOoPpTXxy", "АаВСсЕеНКМОоРрТХху")
# `{project}` in a case is the real project's id, `{~project}` a confusable spelling of it.
PLACEHOLDER = re.compile(r"\{(~?)(\w+)\}")


@dataclass(frozen=True)
class Raw:
    """JSON text put into a body as it is (a lone surrogate escape, a number of 5,000 digits,
    100,000 brackets): what json.dumps would never write."""

    text: str


def confusable(value: str) -> str:
    """`value` with look-alike letters; `{~name}` for a placeholder: filled with the real id's
    confusable spelling when the case runs."""
    placeholder = PLACEHOLDER.fullmatch(value)
    if placeholder:
        return "{~" + placeholder.group(2) + "}"
    swapped = value.translate(LOOKALIKE)
    return swapped if swapped != value else "１" + value  # a fullwidth digit, at least


# The bad values of each kind of field, by name. `{base}` values are derived from the valid one.
CONTROLS = {"NUL": "a\x00b", "escape character": "a\x1bb", "C1 control": "a\x85b"}
TEXT = {**CONTROLS, "huge": HUGE}
KINDS = {
    "text": TEXT,
    "free text": {**TEXT, "long": LONG},
    "id": {
        **TEXT,
        "long": LONG,
        "confusable": confusable,
        "Unicode digits": "٣٣٣٣٣٣٣٣٣٣٣٣",
        "huge integer": "9" * 40,
    },
    "number": {
        **CONTROLS,
        "Arabic-Indic digit": "٣",
        "fullwidth digits": "２４",
        "huge integer": "9" * 40,
        "negative": "-1",
        "overflowing float": "1e309",
    },
    "enum": {**TEXT, "confusable": confusable},
    "date": {**CONTROLS, "fullwidth digits": "２０３０-01-01", "year 99999": "99999-01-01"},
    "url": {
        **TEXT,
        "empty host label": "https://a..b/x.pdf",
        "64-character host label": "https://" + "a" * 64 + ".test/x.pdf",
        "unclosed IPv6 bracket": "https://[::1/x.pdf",
        "host over 253 characters": "https://" + "a" * 60 + ".a" * 100 + ".test/x.pdf",
        "huge integer port": "https://docs.test:" + "9" * 40 + "/x.pdf",
    },
    "flag": CONTROLS,
}
# What only JSON can carry, put in place of any field.
JSON_EXTRA = {"lone surrogate": Raw('"a\\ud800b"'), "huge integer": Raw("9" * 40)}
# The values of a route's path arguments (all of them ids or names).
PATH_BAD = ("NUL", "escape character", "long", "confusable", "Unicode digits", "huge integer")


@dataclass(frozen=True)
class Form:
    """A portal form: where it posts, who posts it, a valid filling, and each field's kind.
    `lenient`: the route ignores ids it does not know (a page's ticks), answering 2xx/3xx."""

    path: str
    who: str | None
    base: dict
    kinds: dict[str, str] = field(default_factory=dict)
    lenient: bool = False
    method: str = "POST"


MEMBER, ADMIN = "member@acme.test", "admin@acme.test"
SHARE_PASSCODE = "ABCD-EFGH"  # the passcode of the share the door's rows hold
FORM_TOKEN = "t" * 43  # a well-formed one-time token (portal/formtokens.py) no row holds yet
RECORDS = "/projects/{project}/records/{record}"
SCHEDULE = {"name": "Weekly", "kind": "issue", "status": "open", "q": "slab"} | {
    "rhythm": "custom",
    "rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17",
    "timezone": "Europe/London",
    "only_changed": "yes",
    "recipients": "rep@client.test",
}
SCHEDULE_KINDS = {"name": "free text", "kind": "enum", "status": "enum", "q": "text"} | {
    "rhythm": "enum",
    "rrule": "text",
    "timezone": "enum",
    "only_changed": "flag",
    "recipients": "text",
}
FORMS = {
    "auth.login": Form(
        "/login",
        None,
        {"email": MEMBER, "password": factories.PASSWORD},
        {"email": "enum", "password": "free text"},
        lenient=True,
    ),
    "auth.logout": Form("/logout", MEMBER, {}),
    "exports.create": Form(
        "/exports",
        MEMBER,
        {"project": "{project}", "record": "{record}", "paper": "A4", "links": ""}
        | {"archival": "plain"},
        {"project": "id", "record": "id", "paper": "enum", "include_originals": "flag"}
        | {"links": "url", "title": "free text", "layout": "enum", "order": "enum"}
        | {"archival": "enum", "signed": "enum"},
    ),
    "exports.create_bundle": Form(
        "/bundles",
        MEMBER,
        {"name": "Handover", "links": "https://docs.test/a.pdf", "ttl_hours": "24"},
        {"name": "free text", "links": "url", "ttl_hours": "number", "project": "id"}
        | {"csv": "file"},
    ),
    **{
        f"exports.{action}": Form(f"/exports/{{failed}}/{action}", MEMBER, {})
        for action in ("cancel", "retry", "reorder", "redo")
    },
    "records.select_one": Form(
        RECORDS + "/selection", MEMBER, {"record": "{record}"}, {"record": "id"}, lenient=True
    ),
    "records.clear_selection": Form("/projects/{project}/selection/clear", MEMBER, {}),
    "records.request_pdf": Form(RECORDS + "/pdf", MEMBER, {}),
    "records.select_export_again": Form(
        "/projects/{project}/selection/export/{failed}", MEMBER, {}
    ),
    **{
        endpoint: Form(
            path,
            MEMBER,
            {"shown": "{record}", **({"record": "{record}"} if ticks else {})},
            {"shown": "id", **({"record": "id"} if ticks else {})},
            lenient=True,
        )
        for endpoint, path, ticks in (
            ("records.save_page", "/projects/{project}/selection/page", True),
            ("records.select_page", "/projects/{project}/selection/page/all", False),
        )
    },
    **{
        endpoint: Form(path, MEMBER, {}, lenient=True)
        for endpoint, path in (
            ("records.select_matching", "/projects/{project}/selection/matching"),
            ("records.keep_matching", "/projects/{project}/selection/matching/only"),
        )
    },
    # The organisation-wide records page's selection: the same forms without the project.
    "records.all_select_one": Form(
        "/records/{record}/selection",
        MEMBER,
        {"record": "{record}"},
        {"record": "id"},
        lenient=True,
    ),
    "records.all_clear_selection": Form("/selection/clear", MEMBER, {}),
    "records.all_select_export_again": Form("/selection/export/{failed}", MEMBER, {}),
    **{
        endpoint: Form(
            path,
            MEMBER,
            {"shown": "{record}", **({"record": "{record}"} if ticks else {})},
            {"shown": "id", **({"record": "id"} if ticks else {})},
            lenient=True,
        )
        for endpoint, path, ticks in (
            ("records.all_save_page", "/selection/page", True),
            ("records.all_select_page", "/selection/page/all", False),
        )
    },
    **{
        endpoint: Form(path, MEMBER, {}, lenient=True)
        for endpoint, path in (
            ("records.all_select_matching", "/selection/matching"),
            ("records.all_keep_matching", "/selection/matching/only"),
        )
    },
    "admin.act": Form(
        "/admin/exports/{completed}/revoke",
        ADMIN,
        {"confirmed": "yes", "reason": "Sent to the wrong client"},
        {"confirmed": "enum", "reason": "free text"},
    ),
    "webhooks.register": Form(
        "/admin/webhooks/",
        ADMIN,
        {"url": HOOK, "events": "export.completed", "description": "CI", "form_token": FORM_TOKEN},
        {"url": "url", "events": "enum", "description": "free text", "form_token": "id"},
    ),
    "webhooks.delete": Form(
        "/admin/webhooks/{endpoint}/delete", ADMIN, {"confirmed": "yes"}, {"confirmed": "enum"}
    ),
    **{
        f"webhooks.{action}": Form(f"/admin/webhooks/{{endpoint}}/{action}", ADMIN, {})
        for action in ("disable", "enable")
    },
    "webhooks.send_again": Form("/admin/webhooks/deliveries/{delivery}/send-again", ADMIN, {}),
    "apikeys.create": Form(
        "/settings/api-keys",
        MEMBER,
        {"name": "CI", "scope": "read", "expires_on": "", "form_token": FORM_TOKEN},
        {"name": "free text", "scope": "enum", "expires_on": "date", "form_token": "id"},
    ),
    "apikeys.revoke": Form("/settings/api-keys/{apikey}/revoke", MEMBER, {}),
    "shares.create": Form(
        "/exports/{failed}/shares",
        MEMBER,
        {
            "emails": "ann@client.test",
            "message": "For you",
            "expires_on": "",
            "passcode": "yes",
            "form_token": FORM_TOKEN,
        },
        {
            "emails": "text",
            "message": "free text",
            "expires_on": "date",
            "passcode": "flag",
            "form_token": "id",
        },
    ),
    "shares.revoke": Form("/exports/{completed}/shares/{share}/revoke", ADMIN, {"x": ""}),
    "shares.download": Form(
        "/s/{token}/download",
        None,
        {"part": "1", "passcode": SHARE_PASSCODE},
        {"part": "enum", "passcode": "free text"},
    ),
    "schedules.create": Form(
        "/schedules",
        MEMBER,
        SCHEDULE | {"project": "{project}"},
        SCHEDULE_KINDS | {"project": "id"},
    ),
    "schedules.update": Form("/schedules/{schedule}", MEMBER, SCHEDULE, SCHEDULE_KINDS),
    "schedules.act": Form("/schedules/{schedule}/pause", MEMBER, {"x": ""}),
    "shares.settings": Form(
        "/admin/sharing",
        ADMIN,
        {"enabled": "yes", "domains": "client.test"},
        {"enabled": "flag", "domains": "text"},
        lenient=True,
    ),
    # Without `confirmed=yes` it only asks (200); nothing here may remove anyone.
    "organisation.remove_member": Form(
        "/settings/organisation/members/{member}/remove",
        ADMIN,
        {},
        {"confirmed": "flag"},
        lenient=True,
    ),
    "organisation.save_branding": Form(
        "/settings/organisation/branding",
        ADMIN,
        {"accent": "#e4007c", "footer": "Acme Build Ltd · No 1"},
        {"accent": "enum", "footer": "free text", "remove_logo": "flag", "logo": "image"},
    ),
    "organisation.save_pdfs": Form(
        "/settings/organisation/pdfs",
        ADMIN,
        {"archival": "y"},
        {"archival": "flag", "signing": "flag"},
    ),
    "organisation.upload_signing_key": Form(
        "/settings/organisation/signing-key",
        ADMIN,
        {"password": "pw"},
        {"password": "free text", "key": "pkcs12"},
    ),
}
# The filters of the pages that list things: GET forms, which show the page whatever they hold.
FILTERS = {
    "records.index": Form(
        "/projects/{project}/records",
        MEMBER,
        {},
        {"q": "text", "kind": "enum", "from": "date", "to": "date", "sort": "enum"}
        | {"dir": "enum", "page": "number"},
        lenient=True,
        method="GET",
    ),
    "records.all_index": Form(
        "/records",
        MEMBER,
        {},
        {"q": "text", "kind": "enum", "from": "date", "to": "date", "sort": "enum"}
        | {"dir": "enum", "page": "number", "project": "id"},
        lenient=True,
        method="GET",
    ),
    "verify.check": Form(
        "/verify/check", None, {"sha256": "0" * 64}, {"sha256": "id"}, lenient=True, method="GET"
    ),
    "admin.exports": Form(
        "/admin/exports",
        ADMIN,
        {},
        {"status": "enum", "requester": "text", "project": "id", "from": "date", "to": "date"}
        | {"dir": "enum", "page": "number", "sort": "enum"},
        lenient=True,
        method="GET",
    ),
}
# Pages whose forms' field names must all be in FORMS or FILTERS.
PAGES = (
    (MEMBER, "/projects/{project}/records"),
    (MEMBER, "/records"),
    (MEMBER, "/bundles/new"),
    (MEMBER, "/exports/{failed}"),
    (MEMBER, "/settings/api-keys"),
    (ADMIN, "/settings/organisation/"),
    (ADMIN, "/admin/exports"),
    (ADMIN, "/admin/exports/{completed}/confirm/revoke"),
    (ADMIN, "/admin/webhooks/"),
    (ADMIN, "/admin/webhooks/{endpoint}"),
    (None, "/login"),
    (MEMBER, "/exports/{completed}"),
    (None, "/s/{token}"),
    (ADMIN, "/admin/sharing"),
    (MEMBER, "/schedules/{schedule}/edit"),
    (None, "/verify"),
)
# A valid body of each API operation that takes one (a second for ExportIn's `filter`).
BODIES = {
    "create_export": [
        {"project": "{project}", "record_ids": ["{record}"], "title": "Claim 7"}
        | {
            "options": {
                "paper": "A4",
                "include_originals": False,
                "layout": "both",
                "archival": True,
            }
        },
        {
            "project": "{project}",
            "filter": {"kind": "inspection", "status": "open", "q": "a"}
            | {"created_from": "2020-01-01", "created_to": "2030-01-01"},
        },
        {"project_ids": ["{project}"], "filter": {"kind": "issue"}},
    ],
    "create_bundle": [
        {"name": "Handover", "project": "{project}", "ttl_hours": 24}
        | {"links": [{"url": "https://docs.test/a.pdf", "name": "A.pdf"}]}
    ],
    "put_record": [
        {"kind": "inspection", "title": "Slab pour", "status": "open", "location": "L2"}
        | {"trade": "Concrete", "assignee": "Ann", "due_date": "2030-01-01"}
        | {"description": "Poured", "checklist": [{"label": "Rebar", "result": "pass"}]}
        | {"raised_by": "Ann", "closed_by": "Bo", "closed_at": "2030-01-01T10:00:00Z"}
        | {"sign_off": {"name": "Bo", "role": "Engineer", "date": "2030-01-02"}},
        {"kind": "ncr", "title": "Honeycombing", "root_cause": "Vibration skipped"}
        | {"disposition": "repair", "corrective_action": "Patch"},
    ],
    "post_photo": [{"caption": "North bay", "taken_by": "Ann"}],
    "create_schedule": [
        {"name": "Weekly", "project": "{project}", "filter": {"kind": "issue", "q": "slab"}}
        | {"rrule": "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17", "timezone": "Europe/London"}
        | {"only_changed": True, "recipients": ["rep@client.test"]}
    ],
}
# Valid values of the API's path and query parameters (the path ones from the URL map's names).
VALID = {"external_ref": "INS-9001", "public_id": "{completed}", "part": "1", "limit": "10"}


@dataclass(frozen=True)
class Case:
    name: str
    who: str | None  # an email, or "api" for the API key, or None
    method: str
    path: str
    form: dict | None = None
    body: str | None = None  # JSON text
    files: dict | None = None
    headers: dict = field(default_factory=dict)
    lenient: bool = False
    says: str = ""


def form_cases(endpoint: str, form: Form) -> list[Case]:
    """One case per field and bad value; `{...}` placeholders are filled when it runs."""
    cases = []
    for name, kind in form.kinds.items():
        if kind == "file":
            cases += csv_cases(endpoint, form)
            continue
        if kind == "image":
            cases += image_cases(endpoint, form, name)
            continue
        if kind == "pkcs12":
            cases += key_cases(endpoint, form, name)
            continue
        for label, value in bad_values(kind, form.base.get(name) or "x").items():
            values = {**form.base, name: value}
            path, data = form.path, values
            if form.method == "GET":
                path, data = f"{path}?{urlencode(values)}", None
            cases.append(Case(f"{endpoint} {name}: {label}", form.who, form.method, path, data))
    return [replace(case, lenient=form.lenient) for case in cases]


def bad_values(kind: str, base: str) -> dict:
    """The bad values of `kind`; a confusable is made from the valid value `base`."""
    return {
        label: value(base) if callable(value) else value for label, value in KINDS[kind].items()
    }


def image_cases(endpoint: str, form: Form, name: str) -> list[Case]:
    """Logos that must store nothing: hostile SVGs, a file past the cap, a NUL in the name."""
    files = {
        label: (data, "logo.svg") for label, data in hostile_logos("http://127.0.0.1:9/x").items()
    }
    files["a file past the cap"] = (b"\x89PNG\r\n\x1a\n" + b"\0" * 1_100_000, "logo.png")
    files["a NUL in the file's name"] = (b"GIF89a", "logo\x00.svg")
    return [
        Case(
            f"{endpoint} {name}: {label}",
            form.who,
            "POST",
            form.path,
            form.base,
            files={name: file},
        )
        for label, file in files.items()
    ]


def key_cases(endpoint: str, form: Form, name: str) -> list[Case]:
    """Signing keys that must store nothing: no key at all, a file past the cap, a
    truncated PKCS#12 header, a NUL in the name."""
    files = {
        "a file that is no key": (b"%PDF-1.7\n" + b"\0" * 64, "key.p12"),
        "a file past the cap": (b"\x30\x82" + b"\0" * 70_000, "key.p12"),
        "a truncated DER header": (b"\x30\x84\xff\xff\xff\xff", "key.p12"),
        "a NUL in the file's name": (b"\x30\x03\x02\x01\x03", "key\x00.p12"),
    }
    return [
        Case(f"{endpoint} {name}: {label}", form.who, "POST", form.path, form.base,
             files={name: file})
        for label, file in files.items()
    ]  # fmt: skip


def csv_cases(endpoint: str, form: Form) -> list[Case]:
    rows = {
        "a field over 131,072 characters": b"url,name\nhttps://docs.test/a.pdf," + b"n" * 140_000,
        "a NUL in a cell": b"https://docs.test/a\x00.pdf,A\n",
        "a host with an empty label": b"https://a..b/x.pdf,A\n",
        "an unclosed IPv6 bracket": b"https://[::1/x.pdf,A\n",
    }
    cases = [
        Case(
            f"{endpoint} csv: {label}",
            form.who,
            "POST",
            form.path,
            {**form.base, "links": ""},
            files={"csv": (data, "links.csv")},
        )
        for label, data in rows.items()
    ]
    named = {**form.base, "links": ""}
    cases.append(
        Case(
            f"{endpoint} csv: a NUL in the file's name",
            form.who,
            "POST",
            form.path,
            named,
            files={"csv": (b"https://docs.test/a.pdf\n", "links\x00.csv")},
        )
    )
    return cases


# ----- The API, from its OpenAPI document -----------------------------------------------------


def resolved(schema: dict, components: dict) -> dict:
    """The schema behind a `$ref`, and the non-null choice of an optional field's `anyOf`."""
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    choices = [choice for choice in schema.get("anyOf", ()) if choice.get("type") != "null"]
    return resolved(choices[0], components) if choices else schema


def leaves(schema: dict, components: dict, path: tuple = ()):
    """(path, schema) of every field that holds a value: `("links", 0, "url")`."""
    schema = resolved(schema, components)
    if "properties" in schema:
        for name, inner in schema["properties"].items():
            yield from leaves(inner, components, (*path, name))
    elif schema.get("type") == "array":
        yield from leaves(schema["items"], components, (*path, 0))
    else:
        yield path, schema


def kind_of(path: tuple, schema: dict) -> str:
    name = next(step for step in reversed(path) if isinstance(step, str))
    if "enum" in schema or "const" in schema:
        return "enum"
    kinds = {"date": "date", "binary": "file"}
    if schema.get("format") in kinds:
        return kinds[schema["format"]]
    if schema.get("type") in ("integer", "boolean"):
        return "number" if schema["type"] == "integer" else "flag"
    if name == "url":
        return "url"
    if "pattern" in schema or name.endswith("_ids") or name == "cursor":
        return "id"
    return "free text" if schema.get("maxLength", len(LONG)) < len(LONG) else "text"


def value_at(body, path: tuple):
    for step in path:
        body = body[step]
    return body


def body_with(body: dict, path: tuple, value) -> str:
    """`body` as JSON text with `value` at `path` (a Raw one as it is)."""
    sentinel = "\u2063fuzz\u2063"
    copy = json.loads(json.dumps(body))
    value_at(copy, path[:-1])[path[-1]] = sentinel
    text = value.text if isinstance(value, Raw) else json.dumps(value)
    return json.dumps(copy).replace(json.dumps(sentinel), text)


def json_cases(operation: str, method: str, path: str, schema: dict, components: dict):
    variants = BODIES[operation]
    yield Case(f"{operation}: 100,000 nested arrays", "api", method, path, body=NESTED)
    yield Case(f"{operation}: an integer of 5,000 digits", "api", method, path, body="9" * 5000)
    for where, leaf in leaves(schema, components):
        variant = next(v for v in variants if has_parent(v, where))
        base = value_at(variant, where) if has_parent(variant, where + ("",)) else "x"
        values = {**bad_values(kind_of(where, leaf), str(base)), **JSON_EXTRA}
        for label, value in values.items():
            name = ".".join(str(step) for step in where)
            body = body_with(variant, where, value)
            yield Case(f"{operation} {name}: {label}", "api", method, path, body=body)


def has_parent(body, path: tuple) -> bool:
    try:
        value_at(body, path[:-1])
    except (KeyError, IndexError):
        return False
    return True


def multipart_cases(operation: str, path: str, schema: dict, components: dict):
    photo = {"photo": (factories.jpeg(), "north.jpg")}
    for where, leaf in leaves(schema, components):
        name = where[0]
        if kind_of(where, leaf) == "file":
            named = {"photo": (factories.jpeg(), "north\x00.jpg")}
            form = BODIES[operation][0]
            yield Case(
                f"{operation} {name}: NUL in its name", "api", "POST", path, form, files=named
            )
            continue
        for label, value in bad_values(kind_of(where, leaf), "x").items():
            form = {**BODIES[operation][0], name: value}
            yield Case(f"{operation} {name}: {label}", "api", "POST", path, form, files=photo)


def parameter_cases(operation: str, method: str, path: str, parameters: list[dict], components):
    for parameter in parameters:
        name, where = parameter["name"], parameter["in"]
        schema = resolved(parameter["schema"], components)
        if where == "query":
            for label, value in bad_values(kind_of((name,), schema), VALID.get(name, "x")).items():
                query = urlencode({name: value})
                yield Case(f"{operation} ?{name}: {label}", "api", method, f"{path}?{query}")
        elif where == "header":
            filling = BODIES.get(operation)  # a POST without a body has a header too (redo)
            body = json.dumps(filling[0]) if filling else None
            for label, value in {"long": "k" * 300, "huge": "k" * 10_000, "Latin-1": "clé"}.items():
                yield Case(
                    f"{operation} {name} header: {label}",
                    "api",
                    method,
                    path,
                    body=body,
                    headers={name: value},
                )


ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")  # a converter's name, if any, is left out
PATH_VALUES = {
    "project_id": "{project}",
    "record_id": "{record}",
    "public_id": "{failed}",
    "export_id": "{failed}",
    "name": "retry",
    "endpoint_id": "{endpoint}",
    "delivery_id": "{delivery}",
    "attachment_id": "{attachment}",
    "external_ref": "{reference}",
    "share_id": "{share}",
    "token": "{token}",
    "action": "pause",
    "schedule_id": "{schedule}",
    "user_id": "{member}",
    "code": "abcdefghijklmnop",
}


def api_cases(document: dict) -> list[Case]:
    components = document["components"]["schemas"]
    cases = []
    for template, operations in document["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
        for method, operation in operations.items():
            name, method = operation["operationId"], method.upper()
            extra = [p for p in operation.get("parameters", ()) if p["in"] != "path"]
            cases += parameter_cases(name, method, path, extra, components)
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                make = multipart_cases if media == "multipart/form-data" else None
                if make:
                    cases += make(name, path, content["schema"], components)
                else:
                    cases += json_cases(name, method, path, content["schema"], components)
    return cases


def path_cases(app) -> list[Case]:
    """Every argument of every route, bad, the others valid."""
    cases = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        who = "api" if rule.rule.startswith("/api/") else ADMIN if "admin" in rule.rule else MEMBER
        for argument in sorted(rule.arguments):
            base = PATH_VALUES[argument]
            bad = bad_values("id", base)
            for label, value in ((label, bad[label]) for label in PATH_BAD):
                values = {**{name: PATH_VALUES[name] for name in rule.arguments}, argument: value}
                path = ARGUMENT.sub(lambda m, values=values: values[m.group(1)], rule.rule)
                form = {} if method == "POST" else None
                cases.append(
                    Case(f"{rule.endpoint} <{argument}>: {label}", who, method, path, form)
                )
    return cases


# ----- The ten inputs of issue 17, item 5, with what each must say ----------------------------


def cursor_after(number: int) -> str:
    return base64.urlsafe_b64encode(f"after:{number}".encode()).decode().rstrip("=")


WEBHOOK = {"events": "export.completed", "description": "CI", "form_token": FORM_TOKEN}
NOT_A_HOST = "The URL&#39;s host name is not valid."
DEFECTS = [
    Case(
        "bundle CSV with a field over 131,072 characters",
        MEMBER,
        "POST",
        "/bundles",
        {"name": "Handover", "ttl_hours": "24", "links": ""},
        files={"csv": (b"url,name\nhttps://docs.test/a.pdf," + b"n" * 140_000, "l.csv")},
        says="CSV row 2 could not be read: field larger than field limit (131072).",
    ),
    Case(
        "revoking an API key whose id has a NUL",
        MEMBER,
        "POST",
        "/settings/api-keys/ab\x00cdefgh/revoke",
        {},
    ),
    *[
        Case(
            f"webhook URL with {what}",
            ADMIN,
            "POST",
            "/admin/webhooks/",
            {**WEBHOOK, "url": url},
            says=NOT_A_HOST,
        )
        for what, url in (
            ("an empty host label", "https://a..b/hook"),
            ("a 64-character host label", "https://" + "a" * 64 + ".test/hook"),
            ("an unclosed [::1", "https://[::1/hook"),
        )
    ],
    Case(
        "webhook URL with a NUL",
        ADMIN,
        "POST",
        "/admin/webhooks/",
        {**WEBHOOK, "url": "http://127.0.0.1:9/ho\x00ok"},
        says="The field “url” has a control character (U+0000) in its value.",
    ),
    Case(
        "webhook description with a NUL",
        ADMIN,
        "POST",
        "/admin/webhooks/",
        {**WEBHOOK, "url": HOOK, "description": "C\x00I"},
        says="The field “description” has a control character (U+0000) in its value.",
    ),
    Case(
        "an export request of 100,000 nested arrays",
        "api",
        "POST",
        "/api/v1/exports",
        body=NESTED,
        says="The JSON body is nested more than 16 levels deep.",
    ),
    *[
        Case(
            f"a cursor of a huge id on {path}",
            "api",
            "GET",
            f"{path}?cursor={cursor_after(number)}",
            says="`cursor` is not one this API gave out",
        )
        for path in ("/api/v1/exports", "/api/v1/projects/{project}/records")
        for number in (10**17, 2**31)
    ],
]


# ----- Every case, collected from an app built only to be read --------------------------------


def collected() -> list[Case]:
    app = create_app({"SECRET_KEY": "collecting", "TESTING": True})
    with app.test_request_context():
        document = spec.document()
    forms = [
        case
        for endpoint, form in {**FORMS, **FILTERS}.items()
        for case in form_cases(endpoint, form)
    ]
    return DEFECTS + forms + api_cases(document) + path_cases(app)


CASES = collected()


@dataclass
class Door:
    """The module's app, its rows' ids, and a client (with its CSRF token) per role."""

    app: object
    ids: dict
    secret: str
    clients: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def door(tmp_path_factory, redis_url, s3_endpoint, mail_sink, postgres_schema):
    env = environment(tmp_path_factory.mktemp("hostile"), redis_url, s3_endpoint, mail_sink)
    env |= {"OUTBOUND_ALLOWLIST": "127.0.0.1:9", "EXPORT_RATE_LIMIT": "100000 per minute"}
    unlimited = ("SHARE_TOKEN_RATE_LIMIT", "SHARE_ADDRESS_RATE_LIMIT")
    env |= dict.fromkeys(unlimited, "100000 per minute")
    app = create_app(config_from_env(env))
    for_tests(app)
    with app.app_context():
        fresh_database()
        s3.ensure_bucket()
        ids, secret = rows()
        door = Door(app, ids, secret)
        for who in (MEMBER, ADMIN):
            door.clients[who] = app.test_client()
            factories.login(door.clients[who], who)
            door.tokens[who] = csrf(door.clients[who])
        yield door
        db.session.remove()
        db.engine.dispose()


def rows() -> tuple[dict, str]:
    """A row for every id a path or form names, in organisation A."""
    world = factories.two_organisations()
    records = factories.records(world.project_a, 2)
    failed = factories.export_in(ExportStatus.FAILED, world.member_a, world.project_a, records)
    completed = factories.export_in(
        ExportStatus.COMPLETED, world.member_a, world.project_a, records[1:]
    )
    endpoint = factories.webhook_endpoint(world.admin_a, url=HOOK)
    delivery = WebhookDelivery(
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        export_id=completed.id,
        event="export.completed",
        payload={"data": {"id": completed.public_id}},
    )
    db.session.add(delivery)
    secret = factories.api_key(world.member_a)
    ids = {
        "project": world.project_a.public_id,
        "record": records[0].public_id,
        "reference": records[0].reference,
        "attachment": factories.attachment(records[0]).public_id,
        "failed": failed.public_id,
        "completed": completed.public_id,
        "endpoint": endpoint.public_id,
        "delivery": delivery.public_id,
        "apikey": db.session.scalar(select(ApiKey.public_id)),
        **share_ids(world, completed),
        "schedule": schedule_id(world),
        "member": str(world.member_a.id),
    }
    db.session.commit()
    return ids, secret


def share_ids(world, export) -> dict:
    """A share of the completed export, behind SHARE_PASSCODE: a bad passcode downloads
    nothing, so the download form's other fields are fuzzed with the right one."""
    token = tokens.new_token()
    share = ExportShare(
        organization_id=export.organization_id,
        export_id=export.id,
        shared_by_id=world.member_a.id,
        email="ann@client.test",
        token_digest=tokens.digest(token),
        passcode_hash=hash_password(tokens.normal_passcode(SHARE_PASSCODE)),
        expires_at=export.expires_at,
    )
    db.session.add(share)
    db.session.flush()
    return {"share": share.public_id, "token": token}


def schedule_id(world) -> str:
    asked = ScheduleIn.checked("Weekly", {}, SCHEDULE["rrule"], "Europe/London", False)
    return schedules.add(world.member_a, world.project_a, asked).public_id


def fill(value, ids: dict):
    """Placeholders replaced, in a string, a list or a dict's values."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(
            lambda m: confusable(ids[m.group(2)]) if m.group(1) else ids[m.group(2)], value
        )
    if isinstance(value, list | tuple):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {name: fill(item, ids) for name, item in value.items()}
    return value


def url_of(case: Case, ids: dict) -> str:
    """The case's path with each segment percent-encoded (a NUL travels as %00)."""
    path, mark, query = case.path.partition("?")
    segments = [quote(segment, safe="") for segment in fill(path, ids).split("/")]
    return "/".join(segments) + mark + query


def send(door: Door, case: Case):
    url, headers = url_of(case, door.ids), dict(case.headers)
    if case.who == "api":
        client = door.app.test_client()
        headers |= factories.bearer(door.secret)
    elif case.who is None:
        client = door.app.test_client()
        headers["X-CSRFToken"] = csrf(client, "/login")
    else:
        client = door.clients[case.who]
        headers["X-CSRFToken"] = door.tokens[case.who]
    if case.body is not None:
        data = fill(case.body, door.ids).encode()
        return client.open(
            url, method=case.method, data=data, content_type="application/json", headers=headers
        )
    form = fill(case.form, door.ids) if case.form is not None else None
    if form is not None and case.method == "GET":
        url, form = f"{url}?{urlencode(form, doseq=True)}", None
    files = {
        name: (io.BytesIO(data), filename) for name, (data, filename) in (case.files or {}).items()
    }
    data = {**(form or {}), **files} if form is not None or files else None
    return client.open(url, method=case.method, data=data, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_gets_an_answer_below_500_and_changes_nothing(door, case):
    before = footprint(door.app)
    response = send(door, case)
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text[:600]
    if not case.lenient:
        assert 400 <= response.status_code < 500, text[:600]
    assert case.says in text
    assert footprint(door.app) == before


def test_every_form_of_the_portal_is_in_the_table(door):
    posted = {
        rule.endpoint
        for rule in door.app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    }
    assert posted == set(FORMS)


FIELD_NAME = re.compile(r"<(?:input|select|textarea|button)\b[^>]*?\bname=\"([^\"]+)\"")


def test_every_field_on_the_portals_pages_is_fuzzed(door):
    fuzzed = {name for form in {**FORMS, **FILTERS}.values() for name in form.kinds}
    for who, page in PAGES:
        client = door.clients[who] if who else door.app.test_client()
        response = client.get(url_of(Case("page", who, "GET", page), door.ids))
        assert response.status_code == 200, page
        names = set(FIELD_NAME.findall(response.get_data(as_text=True))) - {"csrf_token"}
        assert names <= fuzzed, (page, names - fuzzed)


def test_every_api_body_has_a_valid_filling():
    app = create_app({"SECRET_KEY": "collecting", "TESTING": True})
    with app.test_request_context():
        document = spec.document()
    taking = {
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    }
    assert taking == set(BODIES)
