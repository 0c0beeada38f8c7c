"""The same record version gives the same PDF bytes in any process, on any day, archival
(PDF/A-3a with PDF/UA-1 tags, XMP and a file /ID) as rendered by default.

Each render runs in a fresh process (its own hash seed) whose clock time-machine freezes on
a given day, from loading the record (jobs/load.py, as an export does) to the PDF's bytes,
so a "now" read anywhere on that path changes the bytes between the two days.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from jobs import load
from jobs.render import render_pdf
from portal.extensions import db
from portal.photos import ingest_photo
from portal.renders.entries import Look
from portal.storage import client as s3
from tests import factories
from tests.helpers import ROOT

DAY_ONE, DAY_TWO = "2026-03-01T09:00:00+00:00", "2026-03-02T17:30:00+00:00"
CHILD = """
import datetime, hashlib, json, os, sys
import time_machine

args = json.loads(sys.argv[1])
time_machine.travel(datetime.datetime.fromisoformat(args["day"]), tick=False).start()

import weasyprint.pdf.fonts
from jobs import load
from jobs.render import MemoryPhotos, _engine, render_pdf
from portal import create_app
from portal.extensions import db
from portal.models import Record
from portal.renders.entries import Look
from tests.helpers import config_from_env

if args["fonts"] != "harfbuzz":  # as on a host without libharfbuzz-subset
    weasyprint.pdf.fonts.harfbuzz_subset = None
_engine()
if args["fonts"] == "fonttools, clock not pinned":
    del os.environ["SOURCE_DATE_EPOCH"]
app = create_app(config_from_env(args["env"]))
with app.app_context():
    snap = load.snapshot(db.session.get(Record, args["record_id"]), Look("A4", archival=True))
photos = MemoryPhotos({key: bytes.fromhex(data) for key, data in args["photos"].items()})
sha256 = hashlib.sha256(render_pdf(snap, photos)).hexdigest()
print(json.dumps({"today": datetime.date.today().isoformat(), "sha256": sha256}))
"""


def stored_record(world):
    record = factories.record(world.project_a, title="Slab pour, bay C4")
    ingest_photo(record, "c4.jpg", factories.jpeg(800, 600), caption="Bay C4")
    db.session.commit()
    return record


def render_in_fresh_process(env, record, day: str, hash_seed: int, fonts="harfbuzz") -> str:
    """The PDF's sha256, rendered by a new Python whose clock stands still on `day`."""
    photos = {a.rendition_key: s3.get_bytes(a.rendition_key).hex() for a in record.attachments}
    args = {"env": env, "record_id": record.id, "day": day, "fonts": fonts, "photos": photos}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": str(hash_seed)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["today"] == day[:10], "the clock was not frozen in the render process"
    return answer["sha256"]


def test_same_record_gives_identical_bytes_in_two_processes_a_day_apart(
    app, world, bucket, sitepack_env
):
    record = stored_record(world)

    first = render_in_fresh_process(sitepack_env, record, DAY_ONE, hash_seed=1)
    second = render_in_fresh_process(sitepack_env, record, DAY_TWO, hash_seed=2)

    assert first == second
    snap = load.snapshot(record, Look("A4", archival=True))
    here = render_pdf(snap, s3.Bucket(s3.settings(app.config)))
    assert hashlib.sha256(here).hexdigest() == first


def test_fonts_subset_by_fonttools_carry_no_date_either(app, world, bucket, sitepack_env):
    """Without libharfbuzz-subset, WeasyPrint subsets with fontTools, which stamps the time it
    saves a font unless SOURCE_DATE_EPOCH says otherwise."""
    record = stored_record(world)

    first = render_in_fresh_process(sitepack_env, record, DAY_ONE, 3, fonts="fonttools")
    second = render_in_fresh_process(sitepack_env, record, DAY_TWO, 4, fonts="fonttools")

    assert first == second


def test_a_date_from_the_clock_would_be_seen(app, world, bucket, sitepack_env):
    """The check above can fail: let fontTools read the clock and the two days differ."""
    record = stored_record(world)
    unpinned = "fonttools, clock not pinned"

    first = render_in_fresh_process(sitepack_env, record, DAY_ONE, 5, fonts=unpinned)
    second = render_in_fresh_process(sitepack_env, record, DAY_TWO, 6, fonts=unpinned)

    assert first != second
