"""The records table: filters, sort, paging, and the htmx fragment."""

import re
from datetime import date, datetime
from html import unescape

import pytest

from portal.extensions import db
from tests import factories
from tests.records.helpers import HTMX, records_url, references


@pytest.fixture
def mixed(world):
    """Four records, one of each kind, that differ in every filtered and sorted column."""
    rows = [
        ("inspection", 1, "Pour slab level 3", "open", datetime(2026, 1, 5, 9), date(2026, 4, 1)),
        (
            "issue",
            2,
            "Cracked render on east wall",
            "in_progress",
            datetime(2026, 2, 10, 12),
            date(2026, 2, 20),
        ),
        ("task", 3, "Order SLAB formwork", "closed", datetime(2026, 3, 15, 23, 59), None),
        ("ncr", 4, "Rebar cover 100% short", "open", datetime(2026, 3, 20, 8), date(2026, 3, 30)),
    ]
    for kind, n, title, status, created, due in rows:
        factories.record(
            world.project_a,
            kind=kind,
            n=n,
            title=title,
            status=status,
            created_at=created,
            due_date=due,
        )
    db.session.commit()
    return world.project_a


def shown(member, project, **args) -> list[str]:
    response = member.get(records_url(project, **args))
    assert response.status_code == 200
    return references(response.get_data(as_text=True))


def test_home_lists_own_projects_with_record_counts(member, world):
    factories.records(world.project_a, 3)
    factories.record(world.project_a, n=9, status="closed")
    factories.records(world.project_b, 5)
    db.session.commit()
    html = member.get("/").get_data(as_text=True)
    assert f"/projects/{world.project_a.public_id}/records" in html
    assert "<strong>4</strong> records" in html
    assert "<strong>3</strong> not closed" in html
    assert world.project_b.public_id not in html


def test_table_shows_newest_first_by_default(member, mixed):
    assert shown(member, mixed) == ["NCR-0004", "TSK-0003", "ISS-0002", "INS-0001"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"kind": "issue"}, ["ISS-0002"]),
        ({"status": "open"}, ["NCR-0004", "INS-0001"]),
        ({"q": "slab"}, ["TSK-0003", "INS-0001"]),
        ({"q": "iss-00"}, ["ISS-0002"]),
        ({"q": "100%"}, ["NCR-0004"]),
        ({"q": "_"}, []),
        ({"from": "2026-02-10"}, ["NCR-0004", "TSK-0003", "ISS-0002"]),
        ({"to": "2026-03-15"}, ["TSK-0003", "ISS-0002", "INS-0001"]),
        ({"from": "2026-02-01", "to": "2026-03-15"}, ["TSK-0003", "ISS-0002"]),
        ({"kind": "ncr", "status": "closed"}, []),
    ],
)
def test_each_filter_narrows_the_table(member, mixed, args, expected):
    assert shown(member, mixed, **args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"sort": "reference", "dir": "asc"}, ["INS-0001", "ISS-0002", "NCR-0004", "TSK-0003"]),
        ({"sort": "reference", "dir": "desc"}, ["TSK-0003", "NCR-0004", "ISS-0002", "INS-0001"]),
        ({"sort": "title", "dir": "asc"}, ["ISS-0002", "TSK-0003", "INS-0001", "NCR-0004"]),
        ({"sort": "created", "dir": "asc"}, ["INS-0001", "ISS-0002", "TSK-0003", "NCR-0004"]),
        ({"sort": "due", "dir": "asc"}, ["ISS-0002", "NCR-0004", "INS-0001", "TSK-0003"]),
        ({"sort": "due", "dir": "desc"}, ["INS-0001", "NCR-0004", "ISS-0002", "TSK-0003"]),
        ({"sort": "status", "dir": "asc"}, ["INS-0001", "NCR-0004", "ISS-0002", "TSK-0003"]),
    ],
)
def test_sort_orders_the_table(member, mixed, args, expected):
    assert shown(member, mixed, **args) == expected


def test_pages_split_the_matching_records_without_overlap(app, member, world):
    app.config["RECORDS_PER_PAGE"] = 4
    factories.records(world.project_a, 10)
    db.session.commit()
    pages = [shown(member, world.project_a, sort="reference", page=n) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [4, 4, 2]
    assert len(set(sum(pages, []))) == 10
    html = member.get(records_url(world.project_a, page=2)).get_data(as_text=True)
    assert "Showing 5–8 of 10 records" in html
    assert 'aria-current="page">2<' in html


def test_sort_and_filter_links_keep_each_other(member, mixed):
    html = member.get(records_url(mixed, kind="issue", sort="title", dir="asc")).get_data(
        as_text=True
    )
    links = [
        unescape(href) for href in re.findall(r'class="sortable[^>]*>\s*<a href="([^"]+)"', html)
    ]
    assert len(links) == 5 and all("kind=issue" in link for link in links)
    assert records_url(mixed, kind="issue", sort="title", dir="desc") in links
    current = records_url(mixed, kind="issue", sort="title", dir="asc")
    assert 'form="filter-form" name="sort" value="title"' in html
    assert current.split("?")[1] in unescape(html.split('id="selection-form"')[1])


@pytest.mark.parametrize("page", ["1000000000", "1" + "0" * 30])
def test_page_past_the_end_is_an_empty_page_with_a_link_to_page_one(member, mixed, page):
    response = member.get(records_url(mixed, kind="task", page=page))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert references(html) == []
    assert "is past the end" in html
    assert f'href="{records_url(mixed, kind="task")}"' in html


@pytest.mark.parametrize(
    "args",
    [
        {"kind": "bogus"},
        {"status": "archived"},
        {"from": "2026-13-45"},
        {"to": "yesterday"},
        {"sort": "password_hash"},
        {"dir": "sideways"},
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "9" * 5000},
        {"page": "²"},
    ],
)
def test_invalid_values_are_not_applied_and_say_so(member, mixed, args):
    response = member.get(records_url(mixed, **args))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if args.get("page") != "9" * 5000:
        assert "Not applied:" in html
        assert sorted(references(html)) == ["INS-0001", "ISS-0002", "NCR-0004", "TSK-0003"]


def test_long_or_odd_search_text_is_harmless(member, mixed):
    for q in ["x" * 5000, "%", "' OR 1=1 --", "\\", "\u202e", "a\x00b"]:
        assert member.get(records_url(mixed, q=q)).status_code == 200


def test_htmx_request_gets_only_the_results_fragment(member, mixed):
    response = member.get(records_url(mixed, kind="issue"), headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html and 'id="filter-form"' not in html
    assert references(html) == ["ISS-0002"]


def test_full_request_and_history_restore_get_the_whole_page(member, mixed):
    for headers in ({}, {**HTMX, "HX-History-Restore-Request": "true"}):
        response = member.get(records_url(mixed, kind="issue"), headers=headers)
        html = response.get_data(as_text=True)
        assert "HX-Request" in response.headers["Vary"]
        assert "<html" in html and 'id="filter-form"' in html and 'id="results"' in html
        assert '<option value="issue" selected>' in html
        assert references(html) == ["ISS-0002"]


def test_filter_form_works_without_javascript(member, mixed):
    html = member.get(records_url(mixed)).get_data(as_text=True)
    form = html.split('id="filter-form"')[1].split("</form>")[0]
    assert 'method="get"' in form and f'action="{records_url(mixed)}"' in form
    assert 'hx-get="' in form and 'hx-push-url="true"' in form and 'hx-target="#results"' in form
