"""The 30-day figures and their server-drawn SVG charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.admin import charts, stats
from portal.models import Export, utcnow
from tests.factories import login

SVG = "{http://www.w3.org/2000/svg}"


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour, minutes=minute)


def test_figures_per_day_count_exports_median_time_to_ready_and_size(world, make_export):
    today = utcnow().date()
    day = today - timedelta(days=3)
    for minutes, size in ((10, 1000), (20, 3000), (60, 5000)):
        make_export(
            status="completed",
            created_at=at(day, 9),
            finished_at=at(day, 9, minutes),
            byte_size=size,
        )
    make_export(status="failed", created_at=at(day, 10), finished_at=at(day, 11))
    make_export(
        status="completed",
        created_at=at(today - timedelta(days=31), 9),
        finished_at=at(today - timedelta(days=31), 10),
        byte_size=7,
    )
    make_export(requester=world.member_b, project=world.project_b, created_at=at(day, 9))
    acme = select(Export).where(Export.organization_id == world.org_a.id)

    summary = stats.last_days(acme, today=today)

    assert len(summary.days) == 30 and summary.days[-1].day == today
    figures = summary.days[-4]
    assert (figures.day, figures.exports, figures.median_seconds, figures.bytes) == (
        day,
        4,
        1200,
        9000,
    )
    assert summary.total_exports == 4 and summary.median_seconds == 1200
    assert summary.days[0].median_seconds is None


def test_stats_page_draws_three_valid_svg_charts_of_30_days(client, world, make_export):
    make_export(
        status="completed",
        created_at=utcnow() - timedelta(days=2, hours=1),
        finished_at=utcnow() - timedelta(days=2),
        byte_size=5 * 1024 * 1024,
    )
    login(client, "admin@acme.test")
    response = client.get("/admin/stats")
    assert response.status_code == 200
    exports_chart, ready_chart, size_chart = svgs(response.get_data(as_text=True))
    for chart in (exports_chart, ready_chart, size_chart):
        assert chart.find(f"{SVG}title").text and chart.find(f"{SVG}desc").text
        assert chart.get("role") == "img"
        assert len(chart.findall(f"{SVG}text")) >= 6  # y ticks and dated x ticks
    assert len(exports_chart.findall(f"{SVG}rect")) == 30
    assert len(size_chart.findall(f"{SVG}rect")) == 30
    assert len(ready_chart.findall(f"{SVG}circle")) == 1
    assert "(MB)" in size_chart.find(f"{SVG}title").text
    assert "(min)" in ready_chart.find(f"{SVG}title").text


def test_chart_escapes_its_labels_and_stays_valid_xml():
    series = charts.Series(
        "c<1>",
        'Sizes & "things"',
        "<script>alert(1)</script>",
        ["<b>", "a&b", "ok"],
        [1, None, 2.5],
    )
    for draw in (charts.bar_chart, charts.line_chart):
        svg = ET.fromstring(str(draw(series)))
        assert svg.find(f"{SVG}title").text == 'Sizes & "things"'
        assert "<script>" not in str(draw(series))


def test_ticks_are_round_numbers_covering_the_largest_value():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(3, whole_numbers=True) == [0, 1, 2, 3]
    assert charts.nice_ticks(87) == [0, 25, 50, 75, 100]
    assert charts.nice_ticks(1.2)[-1] >= 1.2
