"""Export fixtures: records with photos in the real bucket, and worker processes."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from PIL import Image, ImageDraw

from portal import storage
from portal.extensions import db
from portal.models import Export
from portal.photos import ingest_photo
from tests import factories
from tests.workers import WorkerProcess


def jpeg(seed: int, size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (90 + seed % 100, 140, 180))
    ImageDraw.Draw(image).rectangle((40, 200, 600, 460), fill=(120, 110, 100))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def bucket(app):
    storage.ensure_bucket()
    return storage.bucket()


@pytest.fixture
def project_records(world, bucket):
    """Builds n records in org A's project; every `photo_every`-th one gets a photo."""

    def build(n: int, photo_every: int = 10):
        made = factories.records(world.project_a, n)
        for i, record in enumerate(made):
            if photo_every and i % photo_every == 0:
                ingest_photo(record, f"site-{i}.jpg", jpeg(i), caption=f"Photo {i}")
        db.session.commit()
        return made

    return build


@pytest.fixture
def worker(sitepack_env, tmp_path):
    """`with worker(**env_overrides) as w:` starts a real `python -m jobs.worker` process."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    base = {**sitepack_env, "EXPORT_WORK_DIR": str(workdir), "EXPORT_RENDER_PROCESSES": "2",
            "SWEEP_INTERVAL_SECONDS": "3600"}

    @contextmanager
    def start(*args: str, **overrides: str):
        with WorkerProcess({**base, **overrides}, tmp_path / "worker.log", *args) as proc:
            yield proc

    start.workdir = workdir
    return start


def reload(export_id: int) -> Export:
    db.session.expire_all()
    return db.session.get(Export, export_id)


def request_export(client, project, records=None, **form):
    """POST /exports as the browser does, CSRF token included; records=None uses the selection."""
    data = {"project": project.public_id, "csrf_token": csrf(client), **form}
    if records is not None:
        data["record"] = [r.public_id for r in records]
    return client.post("/exports", data=data)


def csrf(client) -> str:
    html = client.get("/exports").get_data(as_text=True)
    marker = '"X-CSRFToken": "'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
