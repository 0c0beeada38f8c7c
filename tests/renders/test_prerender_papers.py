"""Pre-rendering makes the PDFs an organisation's exports will ask for: in the looks (paper
size, archival or not) its latest exports used, not only in the default."""

from __future__ import annotations

from sqlalchemy import select

from jobs import plan
from jobs.prerender import render_records
from portal.extensions import db
from portal.models import ExportStatus, RenderedPdf
from portal.renders.entries import Look
from tests import factories


def cached_prints(record) -> set[str]:
    return set(db.session.scalars(select(RenderedPdf.fingerprint).where(
        RenderedPdf.record_id == record.id
    )))  # fmt: skip


def prints_at(record, looks: list[Look]) -> set[str]:
    prints = (plan.fingerprints(record.organization_id, [record.id], look) for look in looks)
    return {found[record.id] for found in prints}


def test_each_organisation_gets_the_looks_it_exports_in(world, bucket):
    both, letter_only = factories.record(world.project_a), factories.record(world.project_b)
    newcomer = factories.record(factories.project(factories.organization("New Co")))
    for paper in ("Letter", "A4"):
        factories.export_in(
            ExportStatus.COMPLETED,
            world.member_a,
            world.project_a,
            [both],
            options={"paper": paper, "archival": True},
        )
    factories.export_in(
        ExportStatus.COMPLETED, world.member_b, world.project_b, [letter_only],
        options={"paper": "Letter", "archival": False},
    )  # fmt: skip
    db.session.commit()

    result = render_records([both.id, letter_only.id, newcomer.id])

    assert result == "rendered 4 PDFs into the cache, 0 could not be rendered"
    assert cached_prints(both) == prints_at(both, [Look("A4"), Look("Letter")])
    assert cached_prints(letter_only) == prints_at(letter_only, [Look("Letter", archival=False)])
    assert cached_prints(newcomer) == prints_at(newcomer, [Look("A4", archival=True)])
