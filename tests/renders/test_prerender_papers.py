"""Pre-rendering makes the PDFs an organisation's exports will ask for: at the paper sizes its
latest exports used, not only at the default."""

from __future__ import annotations

from sqlalchemy import select

from jobs import plan
from jobs.prerender import render_records
from portal.extensions import db
from portal.models import ExportStatus, RenderedPdf
from tests import factories


def cached_prints(record) -> set[str]:
    return set(db.session.scalars(select(RenderedPdf.fingerprint).where(
        RenderedPdf.record_id == record.id
    )))  # fmt: skip


def prints_at(record, papers: list[str]) -> set[str]:
    return {plan.fingerprints(record.organization_id, [record.id], p)[record.id] for p in papers}


def test_each_organisation_gets_the_paper_sizes_it_exports_in(world, bucket):
    both, letter_only = factories.record(world.project_a), factories.record(world.project_b)
    newcomer = factories.record(factories.project(factories.organization("New Co")))
    for paper in ("Letter", "A4"):
        factories.export_in(
            ExportStatus.COMPLETED,
            world.member_a,
            world.project_a,
            [both],
            options={"paper": paper},
        )
    factories.export_in(
        ExportStatus.COMPLETED, world.member_b, world.project_b, [letter_only],
        options={"paper": "Letter"},
    )  # fmt: skip
    db.session.commit()

    result = render_records([both.id, letter_only.id, newcomer.id])

    assert result == "rendered 4 PDFs into the cache, 0 could not be rendered"
    assert cached_prints(both) == prints_at(both, ["A4", "Letter"])
    assert cached_prints(letter_only) == prints_at(letter_only, ["Letter"])
    assert cached_prints(newcomer) == prints_at(newcomer, ["A4"])
