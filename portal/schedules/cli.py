"""`flask schedules run`: the scheduler process (the Procfile's `scheduler`).

Why not RQ's own scheduling (rq 2.12.0): `Queue.enqueue_at` keeps one future job in Redis
per run, so a flushed Redis loses the rhythm and nothing re-derives it, and it knows no time
zones; `rq cron` (rq.cron.CronScheduler) evaluates cron strings in UTC only, keeps each
job's next time in its own process's memory, runs nothing missed while it was down, and two
`rq cron` processes both enqueue every run. Here the schedule row is the truth: each tick
claims what is due with a fenced UPDATE (portal/schedules/runs.py), so any number of these
processes may run, and a restart after downtime runs each missed schedule once.
"""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db

schedules_group = AppGroup("schedules", help="Scheduled exports.")


@schedules_group.command("run")
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
def run(once: bool) -> None:
    """Run due schedules every SCHEDULE_TICK_SECONDS until stopped."""
    from portal.schedules.runs import deliver_ready, run_due

    interval = current_app.config["SCHEDULE_TICK_SECONDS"]
    while True:
        try:
            ran = run_due()
            deliver_ready()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("scheduler tick failed; trying again next tick")
            ran = []
        if ran:
            click.echo(f"ran {len(ran)} schedule(s)")
        if once:
            return
        time.sleep(interval)
