"""One record's PDF from its page and the API: rendered on the fast lane by a real worker-fast
when it is not cached, then handed out from the render cache through a presigned URL."""

from __future__ import annotations

import io

import pypdf
import requests

from portal import queues
from portal.extensions import db
from portal.models import RenderedPdf
from tests import factories
from tests.api.calls import Caller
from tests.helpers import csrf_headers
from tests.polling import wait_until
from tests.records.helpers import HTMX


def test_a_record_pdf_renders_on_the_fast_lane_then_comes_from_the_cache(
    app, member, world, bucket, worker
):
    record = factories.records(world.project_a, 1)[0]
    db.session.commit()
    page = f"/projects/{world.project_a.public_id}/records/{record.public_id}"
    api = Caller(app.test_client(), factories.api_key(world.member_a))
    api_url = f"/api/v1/projects/{world.project_a.public_id}/records/{record.reference}/pdf"
    assert "PDF of this record" in member.get(page).get_data(as_text=True)

    asked = member.post(f"{page}/pdf", headers=csrf_headers(member, HTMX, page))
    assert (
        "Rendering" in asked.get_data(as_text=True) and 'hx-trigger="load delay:1s"' in asked.text
    )
    assert member.get(f"{page}/pdf").status_code == 404
    queued = api.get(api_url)
    assert queued.status_code == 202 and queued.headers["Location"] == api_url
    assert queues.queue(queues.SMALL).count == 1  # asked twice, queued once

    with worker("--queues", queues.MAIL, queues.SMALL):
        ready = wait_until(
            lambda: "Download" in (s := member.get(f"{page}/pdf/status").text) and s, 60
        )
    assert "hx-trigger" not in ready and f"Download {record.reference}.pdf" in ready
    for answer in (member.get(f"{page}/pdf"), api.get(api_url)):
        assert answer.status_code == 302
        pdf = requests.get(answer.headers["Location"], timeout=10)
        assert record.reference in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert f"{record.reference}.pdf" in pdf.headers["Content-Disposition"]
    assert db.session.query(RenderedPdf).count() == 1
