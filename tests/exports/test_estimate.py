"""The estimate before an export: its figures from the render cache and the lane's history,
and the selection bar that shows it (tests/api/test_dry_run.py: the API's dry run)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import queues
from portal.exports import estimate as estimates
from portal.exports.options import ExportOptions
from portal.extensions import db
from portal.models import Export, ExportStatus, Record, utcnow
from tests import factories
from tests.factories import login
from tests.helpers import sql_statements
from tests.records.helpers import tick

NO_PHOTO, PER_PHOTO = factories.NO_PHOTO_PDF, factories.PER_PHOTO_PDF


def test_sizes_come_from_cached_pdfs_and_the_line_through_them_hits_from_fresh_ones(world, four):
    guess = estimates.estimate(world.org_a.id, factories.ids_of(four), ExportOptions())
    pdfs = NO_PHOTO + (NO_PHOTO + 2 * PER_PHOTO) + (NO_PHOTO + PER_PHOTO) + NO_PHOTO
    overhead = 4 * estimates.ENTRY_BYTES + estimates.EXPORT_BYTES
    assert (guess.records, guess.photos, guess.cached) == (4, 3, 1)
    assert guess.byte_size == pdfs + overhead
    assert guess.originals_bytes == 6_000_000 + 3 * estimates.ENTRY_BYTES
    assert (guess.parts, guess.lane) == (1, queues.SMALL)

    both = estimates.estimate(world.org_a.id, factories.ids_of(four), ExportOptions(layout="both"))
    assert both.byte_size == 2 * pdfs + overhead
    with_originals = ExportOptions(include_originals=True)
    asked = estimates.estimate(world.org_a.id, factories.ids_of(four), with_originals)
    assert asked.byte_size == guess.byte_size + guess.originals_bytes


def test_parts_follow_the_part_limit(app, world, four):
    app.config["EXPORT_PART_BYTES"] = 300_000
    guess = estimates.estimate(world.org_a.id, factories.ids_of(four), ExportOptions())
    assert guess.parts == 3 and guess.parts_with_originals == 23  # 693,600 and 6,696,300 bytes


def test_ten_thousand_selected_records_cost_the_queries_ten_do(world):
    factories.bulk_records(world.project_a, 10_000)
    db.session.commit()
    everything = select(Record.id).where(Record.project_id == world.project_a.id)
    few = select(everything.order_by(Record.id).limit(10).subquery().c.id)
    organization_id = world.org_a.id
    with sql_statements() as for_few:
        estimates.estimate(organization_id, few, ExportOptions())
    with sql_statements() as for_all:
        guess = estimates.estimate(organization_id, everything, ExportOptions())
    assert guess.records == 10_000 and guess.lane == queues.LARGE
    assert len(for_all) == len(for_few) == 3


def finished(make_export, total: int, hits: int, seconds: float) -> Export:
    end = utcnow() - timedelta(minutes=5)
    return make_export(
        status=ExportStatus.COMPLETED, total=total, cache_hits=hits, queue_name=queues.SMALL,
        started_at=end - timedelta(seconds=seconds), finished_at=end,
    )  # fmt: skip


def test_the_lane_learns_its_fixed_time_from_warm_exports_and_its_pace_from_cold(make_export):
    assert estimates.lane_rates(queues.SMALL) == estimates.RATES_DEFAULT
    _, _, read = estimates.RATES_DEFAULT
    finished(make_export, total=100, hits=100, seconds=3 + 100 * read)
    finished(make_export, total=20, hits=0, seconds=3 + 20 * 0.7)
    fixed, render, learnt_read = estimates.lane_rates(queues.SMALL)
    assert fixed == pytest.approx(3) and render == pytest.approx(0.7) and learnt_read == read
    assert estimates.lane_rates(queues.LARGE) == estimates.RATES_DEFAULT


def test_the_selection_bar_shows_records_photos_size_time_and_what_originals_add(
    client, world, four
):
    login(client, "member@acme.test")
    tick(client, world.project_a, four[0], on=True)
    page = tick(client, world.project_a, four[1], on=True).get_data(as_text=True)
    shown = " ".join(page.split())
    # 400,000 bytes of PDFs, one of two fresh in the cache; 5 MB of originals.
    assert "2 records, 2 photos · about 431.4 KB, about 2 s" in shown
    assert "(50 % already rendered) · original photos too: +4.8 MB" in shown
