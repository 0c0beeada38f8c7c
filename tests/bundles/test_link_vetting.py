"""Links are vetted when they are asked for, with the guard the webhook form uses (scheme, user
name, host syntax, resolved addresses), on every door: the "Bundle links" form and its CSV,
the records export's "Add document links", and POST /api/v1/bundles. Every bad line is named
at once, and nothing is written or enqueued. A bundle's lifetime is ASCII digits, or absent."""

from __future__ import annotations

import html
import io

import pytest
import redis

from portal.extensions import db
from portal.models import Export, ExportLink
from portal.outbound.guard import Refused
from tests import factories
from tests.api.calls import Caller, assert_problem
from tests.factories import login
from tests.helpers import csrf, made_up_names, request_export

LONG_LABEL = "a" * 64
# Line → what the refusal says of it. The good lines between them are not named.
BAD_LINES = {
    "http://10.0.0.7/drawings.pdf": "leads to 10.0.0.7, which is not a public internet address",
    "http://intranet.test/spec.pdf": "leads to 192.168.1.20, which is not a public",
    "http://0177.1/x.pdf": "leads to 127.0.0.1",
    "http://a..b/x.pdf": "host name is not valid",
    f"http://{LONG_LABEL}.test/x.pdf": "host name is not valid",
    "http://[::1/x.pdf": "host name is not valid",
    "https://user:secret@docs.test/x.pdf": "may not contain a user name or password",
    "https://gone.invalid/x.pdf": "gone.invalid could not be resolved",
    "ftp://docs.test/x.pdf": "is not an http:// or https:// URL",
}
GOOD = ["https://docs.test/a.pdf", "https://docs.test/b.pdf"]


def resolver(host: str, port: int) -> list[str]:
    """Public made-up names, one that leads inside, and one that does not exist."""
    if host == "intranet.test":
        return ["192.168.1.20"]
    if host.endswith(".invalid"):
        raise Refused(f"{host} could not be resolved (Name or service not known).")
    return made_up_names(host, port)


@pytest.fixture
def app_overrides() -> dict:
    return {"OUTBOUND_RESOLVER": resolver}


def pasted() -> tuple[str, list[int]]:
    """The good and bad lines interleaved, and the line numbers of the bad ones."""
    lines = [GOOD[0], *BAD_LINES, GOOD[1]]
    return "\n".join(lines), list(range(2, 2 + len(BAD_LINES)))


def assert_every_bad_line_named(text: str, place: str = "Line") -> None:
    text = html.unescape(text)
    assert f"{len(BAD_LINES)} of the {len(BAD_LINES) + 2} links can't be used:" in text
    positions = []
    for number, (url, says) in enumerate(BAD_LINES.items(), 2):
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{place} {number}:"))
        assert says in line, (url, line)
        positions.append(text.index(f"{place} {number}:"))
    assert positions == sorted(positions)  # in the order they were given
    assert f"{place} 1:" not in text and f"{place} {len(BAD_LINES) + 2}:" not in text


def assert_nothing_made(app) -> None:
    assert db.session.scalar(db.select(db.func.count()).select_from(Export)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(ExportLink)) == 0
    assert redis.Redis.from_url(app.config["REDIS_URL"]).keys("rq:job:*") == []


def post_bundle(client, **form):
    token = csrf(client, "/bundles/new")
    return client.post("/bundles", data={"name": "Pack", "csrf_token": token, **form})


def test_the_bundle_form_names_every_bad_line_and_makes_nothing(app, client, world):
    login(client, "member@acme.test")
    text, _ = pasted()

    response = post_bundle(client, links=text, ttl_hours="24")

    assert response.status_code == 400
    assert_every_bad_line_named(response.get_data(as_text=True))
    assert_nothing_made(app)


def test_a_csv_upload_names_every_bad_row(app, client, world):
    login(client, "member@acme.test")
    text, _ = pasted()
    data = ("url,name\r\n" + text.replace("\n", "\r\n")).encode()

    response = post_bundle(client, links="", csv=(io.BytesIO(data), "links.csv"))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "CSV row 3:" in page and f"CSV row {len(BAD_LINES) + 2}:" in page
    assert "CSV row 2:" not in page
    assert_nothing_made(app)


def test_the_records_exports_document_links_are_vetted_the_same(app, client, world):
    record = factories.record(world.project_a)
    db.session.commit()
    login(client, "member@acme.test")
    text, _ = pasted()

    response = request_export(client, world.project_a, [record], links=text)

    assert response.status_code == 400
    assert_every_bad_line_named(response.get_data(as_text=True))
    assert_nothing_made(app)


def test_the_api_names_every_bad_link_in_one_problem(app, world):
    api = Caller(app.test_client(), factories.api_key(world.member_a))
    links = [{"url": url} for url in [GOOD[0], *BAD_LINES, GOOD[1]]]

    problem = assert_problem(
        api.post("/api/v1/bundles", json={"name": "Pack", "links": links}), 400, "bad-request"
    )

    assert_every_bad_line_named(problem["detail"], place="Link")
    assert_nothing_made(app)


def test_good_links_pass_and_each_server_is_resolved_once(app, client, world):
    asked: list[str] = []
    app.config["OUTBOUND_RESOLVER"] = lambda host, port: asked.append(host) or ["93.184.215.14"]
    login(client, "member@acme.test")
    lines = [f"https://docs.test/{n}.pdf" for n in range(50)] + ["https://cdn.test/x.pdf"]

    response = post_bundle(client, links="\n".join(lines))

    assert response.status_code == 303
    assert sorted(asked) == ["cdn.test", "docs.test"]


@pytest.mark.parametrize("ttl", ["٣", "３", "3.0", "-3", " ", "0", "169"])
def test_a_lifetime_that_is_not_ascii_hours_in_range_is_refused(app, client, world, ttl):
    login(client, "member@acme.test")

    response = post_bundle(client, links=GOOD[0], ttl_hours=ttl)

    if ttl.strip():
        assert response.status_code == 400
        page = html.unescape(response.get_data(as_text=True))
        assert "A bundle's link can last from 1 to 168 hours." in page
        assert_nothing_made(app)
    else:  # blank, as absent: the default lifetime
        assert response.status_code == 303
        assert Export.query.one().options["ttl_hours"] == 24


def test_a_form_without_a_lifetime_gets_the_default_one(app, client, world):
    login(client, "member@acme.test")

    response = post_bundle(client, links=GOOD[0])

    assert response.status_code == 303
    assert Export.query.one().options["ttl_hours"] == app.config["BUNDLE_TTL_HOURS"]
