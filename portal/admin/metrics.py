"""`/metrics`: the admin queue page's figures for Prometheus, in its text format.

Fleet-wide, like the page as staff see it: the lanes (queued, running, failed jobs), the
workers by state, whether Redis answers, the exports stuck past EXPORT_STALE_SECONDS, the
render cache and the last reconcile. Read from Redis and the database at each scrape (a
fresh registry per request), so every gunicorn process answers the same and nothing is kept
between scrapes.

Who may read it: a scraper sending `Authorization: Bearer <METRICS_TOKEN>`. Without a
configured token the route does not exist (404), and a wrong token gets the same 404, so
the figures (which name no organisation, but do show the fleet's load) stay internal.
"""

from __future__ import annotations

import hmac
from collections import Counter
from dataclasses import fields
from datetime import UTC

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import select

from portal.admin import health
from portal.admin.views import CACHE_WINDOW
from portal.models import Export, utcnow
from portal.renders import cache
from portal.storage import reconcile

bp = Blueprint("metrics", __name__)


def allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics():
    if not allowed():
        abort(404)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueFigures())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class QueueFigures:
    """A prometheus_client collector of the queue page's figures, computed when scraped."""

    def collect(self):
        yield from redis_figures(health.queue_health())
        stuck = health.stuck_exports(select(Export))
        yield gauge(
            "sitepack_exports_stuck", "Processing exports whose heartbeat is stale", len(stuck)
        )
        figures = cache.stats(utcnow() - CACHE_WINDOW)
        yield gauge("sitepack_render_cache_objects", "PDFs in the render cache", figures.objects)
        yield gauge(
            "sitepack_render_cache_bytes", "Bytes of PDFs in the render cache", figures.bytes
        )
        if figures.hit_rate is not None:
            yield gauge("sitepack_render_cache_hit_ratio",
                        f"Share of records served from the cache, last {CACHE_WINDOW.days} days",
                        figures.hit_rate)  # fmt: skip
        last = reconcile.last_run()
        if last is not None:
            yield gauge("sitepack_reconcile_last_run_timestamp_seconds",
                        "When the bucket was last reconciled with the rows",
                        last.ran_at.replace(tzinfo=UTC).timestamp())  # fmt: skip


def redis_figures(found: health.QueueHealth):
    yield gauge("sitepack_redis_up", "1 when Redis answered this scrape", int(found.reachable))
    if not found.reachable:
        return
    jobs = GaugeMetricFamily(
        "sitepack_queue_jobs", "Jobs per lane and state", labels=["lane", "state"]
    )
    counts = [field.name for field in fields(health.Lane) if field.name != "name"]
    for lane in found.lanes:
        for state in counts:  # queued, running, failed: RQ's registries, not export states
            jobs.add_metric([lane.name, state], getattr(lane, state))
    yield jobs
    workers = GaugeMetricFamily(
        "sitepack_workers", "Registered RQ workers by state", labels=["state"]
    )
    for state, count in sorted(Counter(w.state for w in found.workers).items()):
        workers.add_metric([state], count)
    yield workers


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
