"""Bad input on every route that takes some: a clear 4xx (or the page, for GET filters), never
a 500, and nothing changed: no row anywhere, no job in Redis, no object in the bucket.

One table of cases, run on whichever database the suite runs on (SQLite and PostgreSQL: NUL
bytes and parameter counts are where the two differ).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest

from portal.models import ExportStatus
from tests import factories
from tests.helpers import csrf, footprint

NUL = "\x00"
TOO_MANY = 1001


@dataclass(frozen=True)
class Case:
    """`{project}`, `{record}`, `{export}` in the path or form are filled with real ids."""

    name: str
    method: str
    path: str
    status: int
    form: dict = field(default_factory=dict)
    who: str | None = "member@acme.test"
    body: bytes | None = None
    says: str = ""
    headers: dict = field(default_factory=dict)


def ids(count: int) -> list[str]:
    return [f"rec_{n:012d}" for n in range(count)]


def export_form(**fields) -> dict:
    return {"project": "{project}", **fields}


# About 24 MB of `record=` fields: what a script posting every id it found would send.
MILLION_IDS = b"project={project}&" + b"&".join(b"record=rec_%012d" % n for n in range(10**6))


EXPORTS = [
    Case("record is a NUL byte", "POST", "/exports", 400, export_form(record=NUL)),
    Case(
        "record id with a NUL inside",
        "POST",
        "/exports",
        400,
        export_form(record=["{record}", "ab\x00cdefgh"]),
    ),
    Case("record id overlong", "POST", "/exports", 400, export_form(record="r" * 10_000)),
    Case(
        "too many record ids",
        "POST",
        "/exports",
        400,
        export_form(record=ids(TOO_MANY)),
        says="one request may list at most 1,000",
    ),
    Case(
        "a million record ids (24 MB)",
        "POST",
        "/exports",
        413,
        body=MILLION_IDS,
        says="That request is too large",
    ),
    Case(
        "project is a NUL byte",
        "POST",
        "/exports",
        400,
        {"project": NUL, "record": "{record}"},
        says="The field “project” has a control character (U+0000) in its value.",
    ),
    # Without a project the export is across projects: an id that is no record of the
    # organisation refuses them all.
    Case(
        "project missing, a record id unknown",
        "POST",
        "/exports",
        400,
        {"record": ["{record}", "AAAAAAAAAAAAAAAA"]},
        says="Some of the selected records are not in",
    ),
    Case("project overlong", "POST", "/exports", 404, {"project": "p" * 5000}),
    Case("paper is a NUL byte", "POST", "/exports", 400, export_form(record="{record}", paper=NUL)),
    Case(
        "paper overlong", "POST", "/exports", 400, export_form(record="{record}", paper="A4" * 3000)
    ),
    Case("no record and an empty selection", "POST", "/exports", 400, export_form()),
    Case(
        "record is a file, not text",
        "POST",
        "/exports",
        400,
        export_form(record=(io.BytesIO(b"rec_000000000001"), "ids.txt")),
    ),
]
EXPORT_ACTIONS = [
    Case(f"{action} of a NUL id", "POST", f"/exports/ab%00cdefgh/{action}", 404)
    for action in ("cancel", "retry", "reorder")
] + [
    Case("download of an overlong id", "GET", "/exports/" + "e" * 3000 + "/download", 404),
    Case("status page with odd flags", "GET", "/exports/{export}?reused=%00", 200),
    Case("activity with a NUL since", "GET", "/exports/activity?since=%00", 200),
]
LOGIN = [
    Case(
        "email with a NUL",
        "POST",
        "/login",
        400,
        {"email": "member@acme.test\x00", "password": "x"},
        None,
        says="The field “email” has a control character (U+0000)",
    ),
    Case("email is a NUL byte", "POST", "/login", 400, {"email": NUL, "password": "x"}, None),
    Case(
        "email overlong",
        "POST",
        "/login",
        400,
        {"email": "a" * 300 + "@acme.test", "password": "x"},
        None,
    ),
    Case(
        "password overlong",
        "POST",
        "/login",
        400,
        {"email": "member@acme.test", "password": "p" * 300},
        None,
    ),
    Case(
        "password with a NUL",
        "POST",
        "/login",
        400,
        {"email": "member@acme.test", "password": NUL},
        None,
    ),
    Case("next with a NUL", "GET", "/login?next=%00", 200, who=None),
    Case(
        "htmx poll after logout from a malformed page URL",
        "GET",
        "/exports",
        401,
        who=None,
        headers={"HX-Request": "true", "HX-Current-URL": "http://[::1/exports"},
    ),
]
SELECTION = [
    Case(
        "tick of a NUL record id", "POST", "/projects/{project}/records/ab%00cdefgh/selection", 404
    ),
    Case("clear on a NUL project id", "POST", "/projects/ab%00cdefgh/selection/clear", 404),
    Case(
        "save page with NUL ids",
        "POST",
        "/projects/{project}/selection/page",
        400,
        {"shown": NUL, "record": ["{record}\x00", NUL]},
    ),
    Case(
        "save page with too many ids",
        "POST",
        "/projects/{project}/selection/page",
        400,
        {"shown": ids(TOO_MANY)},
    ),
    Case(
        "select page with overlong ids",
        "POST",
        "/projects/{project}/selection/page/all",
        303,
        {"shown": "s" * 5000},
    ),
    Case(
        "select matching a filter with NULs",
        "POST",
        "/projects/{project}/selection/matching?q=%00zzz&kind=%00&from=%00",
        303,
    ),
    Case(
        "records page with NULs in every filter",
        "GET",
        "/projects/{project}/records?page=%00&q=%00&from=%00&to=2026-13-45&kind=%00&sort=%00",
        200,
    ),
    Case("record page of a NUL id", "GET", "/projects/{project}/records/ab%00cdefgh", 404),
]
ADMIN = [
    Case(
        "action confirmed with a NUL",
        "POST",
        "/admin/exports/{export}/retry",
        400,
        {"confirmed": NUL},
        "admin@acme.test",
    ),
    Case(
        "action on a NUL export id",
        "POST",
        "/admin/exports/ab%00cdefgh/retry",
        404,
        {"confirmed": "yes"},
        "admin@acme.test",
    ),
    Case(
        "console with NULs in every filter",
        "GET",
        "/admin/exports?status=%00&requester=%00&project=%00&from=%00&page=%00&sort=%00",
        200,
        who="admin@acme.test",
    ),
]


def bundle(links="https://docs.test/a.pdf", **fields) -> dict:
    return {"name": "Handover", "ttl_hours": "24", "links": links, **fields}


def csv_file(data: bytes) -> tuple:
    return (io.BytesIO(data), "links.csv")


MANY_LINKS = "\n".join(f"https://docs.test/{n}.pdf" for n in range(TOO_MANY))


def refused(name: str, form: dict, says: str = "", status: int = 400) -> Case:
    return Case(name, "POST", "/bundles", status, form, says=says)


BUNDLES = [
    refused("bundle with no links", bundle(""), "at least one link"),
    refused(
        "bundle with an ftp link",
        bundle("https://docs.test/a.pdf\n\nftp://docs.test/b.pdf"),
        "Line 3: “ftp://docs.test/b.pdf” is not an http:// or https:// URL.",
    ),
    refused(
        "bundle link with no server",
        bundle("http:///a.pdf"),
        "Line 1: “http:///a.pdf” has no server name.",
    ),
    refused(
        "bundle link too long",
        bundle("https://docs.test/" + "a" * 2100),
        "Line 1: the URL is longer than 2,048 characters.",
    ),
    refused(
        "bundle link with a NUL",
        bundle("https://docs.test/a\x00b.pdf"),
        "The field “links” has a control character (U+0000) in its value.",
    ),
    refused(
        "bundle name for a file too long",
        bundle("https://docs.test/a.pdf " + "n" * 256),
        "Line 1: the name is longer than 255 characters.",
    ),
    refused(
        "bundle of too many links",
        bundle(MANY_LINKS),
        "1,001 different links; one bundle can hold at most 1,000.",
    ),
    refused("bundle without a name", bundle(name=" "), "a name"),
    refused(
        "bundle lasting too long",
        bundle(ttl_hours="9999"),
        "A bundle&#39;s link can last from 1 to 168 hours.",
    ),
    refused("bundle lasting no time", bundle(ttl_hours="x"), "1 to 168"),
    refused("bundle in a project not ours", bundle(project="prj_000000000"), status=404),
    refused(
        "bundle CSV with a bad row",
        bundle("", csv=csv_file(b"url,name\nhttps://docs.test/a.pdf,A\nmailto:x@y.test,B\n")),
        "CSV row 3: “mailto:x@y.test” is not an http:// or https:// URL.",
    ),
    Case(
        "handover pack with a bad link",
        "POST",
        "/exports",
        400,
        export_form(record="{record}", links="https://docs.test/a.pdf\njavascript:alert(1)"),
        says="Line 2: “javascript:alert(1)” is not an http:// or https:// URL.",
    ),
    refused(
        "bundle CSV not UTF-8",
        bundle("", csv=csv_file(b"\xff\xfe\x00h")),
        "The CSV file must be UTF-8 text.",
    ),
]
CASES = EXPORTS + EXPORT_ACTIONS + LOGIN + SELECTION + ADMIN + BUNDLES


@pytest.fixture
def ready(app, world):
    """Two records and one failed export in org A, so every placeholder names a real row."""
    records = factories.records(world.project_a, 2)
    export = factories.export_in(ExportStatus.FAILED, world.member_a, world.project_a)
    return {
        "project": world.project_a.public_id,
        "record": records[0].public_id,
        "export": export.public_id,
    }


def fill(value, ids_by_name: dict):
    if isinstance(value, dict):
        return {name: fill(item, ids_by_name) for name, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids_by_name) for item in value]
    if isinstance(value, str) and "{" in value:
        return value.format(**ids_by_name)
    return value


def send(client, case: Case, ids_by_name: dict):
    path = fill(case.path, ids_by_name)
    if case.method == "GET":
        return client.get(path, headers=case.headers)
    token = csrf(client, "/exports" if case.who else "/login")
    if case.body is not None:
        body = case.body.replace(b"{project}", ids_by_name["project"].encode())
        return client.post(
            path,
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-CSRFToken": token},
        )
    return client.post(path, data={**fill(case.form, ids_by_name), "csrf_token": token})


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_gets_a_clear_answer_and_changes_nothing(app, client, ready, case):
    if case.who:
        factories.login(client, case.who)
    before = footprint(app)
    response = send(client, case, ready)
    page = response.get_data(as_text=True)
    assert response.status_code == case.status, page[:500]
    assert case.says in page
    assert footprint(app) == before
