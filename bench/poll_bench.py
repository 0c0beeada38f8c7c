"""Issue 10's benchmark: a thousand people watching export status from one small web server.

gunicorn starts as the Procfile starts it (`gunicorn -c gunicorn.conf.py wsgi:app`, gthread,
WEB_CONCURRENCY web workers) on a private Redis, rclone S3 and SQLite (or --database-url),
next to a real `python -m jobs.worker`. Clients (bench/pollers.py) poll the status fragment
every 2 s on keep-alive connections as htmx does, half as the export's requester and half as
an organisation admin, each session logged in through the real form. The runs, side by side:

1. the worker renders an export of photo records, nobody polls: the render rate alone
   (1' again after the loaded runs: the machine is shared, the mean is the reference);
2. the same render (cold cache) while N clients poll its status (the fragment changes as
   records are made): latency, errors, skipped polls, server CPU, and the render rate;
2b. the same while they poll an export queued behind it (unchanged: 304s);
3. N clients poll a queued export that nobody works on, no worker running: 304s, but for the
   fragment rendered afresh every STATUS_REFRESH_SECONDS (30) for its ETA's wording;
4. the same clients without If-None-Match: every poll renders the fragment (a 200).

Server CPU is the gunicorn tree's (master and workers) from /proc over each run's window,
divided by the polls answered in it. The clients' own CPU is not in it; it is shown apart (in
cores), since on one machine it is taken from the render too. The machine is
shared: read the ratios, measured side by side in this one run.

    .venv/bin/python -m bench.poll_bench [--clients 1000] [--seconds 60] [--web-workers 2]
        [--records 900] [--database-url postgresql://…] [--quick]
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select, update

from bench import engine_lab, export_seed, proctree
from bench.pollers import Pollers, Tally
from portal import queues
from portal.exports import service
from portal.exports.options import ExportOptions, fingerprint_of
from portal.extensions import db
from portal.models import Export, ExportStatus
from tests.factories import PASSWORD
from tests.helpers import csrf_token
from tests.polling import wait_until
from tests.servers import RcloneS3, RedisServer, free_port, port_open, stop_process
from tests.workers import WorkerProcess

ROOT = Path(__file__).resolve().parent.parent
AGENT = "sitepack-poll-bench/1"
PEOPLE = ("member@acme.test", "admin@acme.test")  # the requester and an org admin
WARMUP = 4.0  # seconds of polling before a window opens: connections made, first tags had


class Gunicorn:
    """The Procfile's `web` process on a free port; its tree's CPU read from /proc."""

    def __init__(self, env: dict[str, str], workers: int, home: Path, log: Path):
        self.env, self.workers, self.home, self.log = env, workers, home, log

    def __enter__(self) -> Gunicorn:
        self.port = free_port()
        env = {**os.environ, **self.env, "PORT": str(self.port),
               "WEB_CONCURRENCY": str(self.workers), "HOME": str(self.home)}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: port_open(self.port) or self.proc.poll() is not None, timeout=60)
        wait_until(lambda: len(self.pids()) == self.workers + 1, timeout=60)
        return self

    def pids(self) -> list[int]:
        return [self.proc.pid, *proctree.descendants(self.proc.pid, proctree.children())]

    def cpu(self) -> float:
        return sum(proctree.own_cpu(pid) for pid in self.pids())

    def login(self, email: str) -> str:
        """The session cookie of `email`, logged in through the real form."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", "/login", headers={"User-Agent": AGENT})
        page = connection.getresponse()
        cookie, token = session_cookie(page), csrf_token(page.read().decode())
        body = urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
        connection.request("POST", "/login", body, headers={
            "User-Agent": AGENT, "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        })  # fmt: skip
        answer = connection.getresponse()
        answer.read()
        if answer.status != 302:
            raise SystemExit(f"login of {email} answered {answer.status}")
        return session_cookie(answer)

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)


def session_cookie(response: http.client.HTTPResponse) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    raise SystemExit("no session cookie")


@dataclass(frozen=True)
class Window:
    """What one run measured between its window's opening and closing."""

    what: str
    seconds: float
    clients: int = 0
    tally: Tally | None = None
    cpu: float = 0.0  # gunicorn's CPU seconds in the window
    render_rate: float | None = None
    client_cpu: float = 0.0  # this process's (the pollers'), for reading the render rate

    def polls(self) -> list:
        return self.tally.polls if self.tally else []

    def count(self, status: int) -> int:
        return sum(1 for p in self.polls() if p.status == status)

    @property
    def served(self) -> int:
        return self.count(200) + self.count(304)

    @property
    def errors(self) -> int:
        return len(self.polls()) - self.served

    @property
    def skipped(self) -> int:
        return len(self.tally.skipped) if self.tally else 0

    def percentile(self, q: float) -> float | None:
        times = sorted(p.seconds for p in self.polls())
        return 1000 * times[min(len(times) - 1, int(q * len(times)))] if times else None

    @property
    def cpu_ms(self) -> float | None:
        return 1000 * self.cpu / self.served if self.served else None


def in_window(tally: Tally, opened: float, closed: float) -> Tally:
    """The polls sent, and the polls skipped, while the window was open."""
    return Tally(
        [p for p in tally.polls if opened <= p.sent < closed],
        [due for due in tally.skipped if opened <= due < closed],
    )


def watch(web: Gunicorn, paths, cookies, clients, seconds, what, send_tags=True, rate=None):
    """N pollers for WARMUP + `seconds`; `rate(seconds)`, when given, runs in the window and
    returns the render rate."""
    pollers = Pollers(web.port, paths, cookies, AGENT, clients, send_tags=send_tags)
    pollers.start()
    time.sleep(WARMUP)
    opened, cpu, own = time.monotonic(), web.cpu(), time.process_time()
    render_rate = rate(seconds) if rate else time.sleep(seconds)
    closed, used, own = time.monotonic(), web.cpu() - cpu, time.process_time() - own
    tally = in_window(pollers.stop(), opened, closed)
    window = Window(what, closed - opened, clients, tally, used, render_rate, own)
    note(f"{what}: {window.served / window.seconds:.0f} served/s, p99 {window.percentile(0.99)} ms")
    return window


def render_rate(export_id: int, seconds: float) -> float:
    """Records made per second over `seconds` (or until the export ends), counted from the
    row's `done` once the render pool has made its first PDF (its start-up is not the rate)."""
    wait_until(lambda: progress(export_id)[0] > 0, timeout=300, interval=0.2)
    started, (first, live) = time.monotonic(), progress(export_id)
    deadline, last, ended = started + seconds, first, started
    while live and time.monotonic() < deadline:
        time.sleep(0.5)
        (last, live), ended = progress(export_id), time.monotonic()
    if not live:
        note(
            f"export {export_id} ended before the window closed: rate over {ended - started:.0f} s"
        )
    time.sleep(max(0.0, deadline - time.monotonic()))  # the pollers' window stays whole
    return (last - first) / (ended - started)


def progress(export_id: int) -> tuple[int, bool]:
    done, status = db.session.execute(
        select(Export.done, Export.status).where(Export.id == export_id)
    ).one()
    db.session.rollback()
    if status in (ExportStatus.FAILED, ExportStatus.CANCELLED):
        raise SystemExit(f"export {export_id} is {status}: see the log")
    return done, status in (ExportStatus.PENDING, ExportStatus.PROCESSING)


def stop_render(world, export_ids: list[int], lab_redis) -> None:
    for export_id in export_ids:
        export = db.session.get(Export, export_id)
        db.session.refresh(export)
        if export.status in (ExportStatus.PENDING, ExportStatus.PROCESSING):
            service.cancel(export, world.member)
    engine_lab.wait_idle(lab_redis)
    engine_lab.clear_cache()


def queued_export(world, ids: list[int] | None = None) -> int:
    """A pending export, not enqueued: nobody works on it until it is."""
    ids, options = ids or world.ids[:50], ExportOptions()
    fingerprint = fingerprint_of(world.member.id, ids, options)
    export = service.create_export(world.member, world.photos_project, ids, options, fingerprint)
    db.session.commit()
    return export.id


def runs(args, env: dict[str, str], tmp: Path, log: Path) -> list[Window]:
    world = engine_lab.seed(args.records, 0)
    queued = db.session.get(Export, queued_export(world))
    with Gunicorn(env, args.web_workers, tmp, log) as web:
        cookies = [web.login(email) for email in PEOPLE]
        path = f"/exports/{queued.public_id}/status"
        unchanged = watch(web, [path], cookies, args.clients, args.seconds,
                          "3 unchanged: a queued export, no worker")  # fmt: skip
        changed = watch(web, [path], cookies, args.clients, args.seconds,
                        "4 the same without If-None-Match (200s)", send_tags=False)  # fmt: skip
        # Cancelled before a worker starts, whose recovery pass would enqueue it.
        db.session.execute(update(Export).where(Export.id == queued.id).values(status="cancelled"))
        db.session.commit()
        with WorkerProcess(env, log) as worker:
            alone = render_alone(world, args, worker, "1 render alone")
            loaded = render_watched(web, world, cookies, args, watch_render=True)
            stop_render(world, loaded.exports, worker.redis)
            behind = render_watched(web, world, cookies, args, watch_render=False)
            stop_render(world, behind.exports, worker.redis)
            again = render_alone(world, args, worker, "1' render alone, again")
    return [alone, loaded.window, behind.window, again, unchanged, changed]


def render_alone(world, args, worker, what: str) -> Window:
    export_id = engine_lab.new_export(world, world.photos_project, world.ids)
    window = Window(what, args.seconds, render_rate=render_rate(export_id, args.seconds))
    note(f"{what}: {window.render_rate:.2f} records/s")
    stop_render(world, [export_id], worker.redis)
    return window


@dataclass(frozen=True)
class Watched:
    window: Window
    exports: list[int]  # to cancel afterwards


def render_watched(web: Gunicorn, world, cookies, args, watch_render: bool) -> Watched:
    """A render while N clients poll: the rendering export's status (every poll a change),
    or that of an export queued behind it (unchanged polls)."""
    rendering = engine_lab.new_export(world, world.photos_project, world.ids)
    watched, exports = rendering, [rendering]
    if not watch_render:
        watched = queued_export(world, world.ids)  # the same records: the same lane, behind it
        queues.enqueue_export(db.session.get(Export, watched))
        exports.append(watched)
    path = f"/exports/{db.session.get(Export, watched).public_id}/status"
    what = "2 render while they poll it" if watch_render else "2b render, they poll one behind it"
    window = watch(web, [path], cookies, args.clients, args.seconds, what,
                   rate=lambda seconds: render_rate(rendering, seconds))  # fmt: skip
    return Watched(window, exports)


def table(windows: list[Window], args) -> str:
    def cell(value, digits: int = 0) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"

    head = (f"{'run':<42} {'clients':>7} {'served/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p99 ms':>7} {'errors':>6} {'skipped':>7} {'304s':>6} {'200s':>6} "
            f"{'CPU ms/poll':>11} {'render rec/s':>12} {'client cores':>12}")  # fmt: skip
    lines = [head]
    for w in windows:
        polled = w.tally is not None
        lines.append(
            f"{w.what:<42} {w.clients or '—':>7} "
            f"{cell(w.served / w.seconds if polled else None):>8} "
            f"{cell(w.percentile(0.5), 1):>7} {cell(w.percentile(0.95), 1):>7} "
            f"{cell(w.percentile(0.99), 1):>7} {cell(w.errors if polled else None):>6} "
            f"{cell(w.skipped if polled else None):>7} "
            f"{cell(w.count(304) if polled else None):>6} "
            f"{cell(w.count(200) if polled else None):>6} {cell(w.cpu_ms, 2):>11} "
            f"{cell(w.render_rate, 2):>12} "
            f"{cell(w.client_cpu / w.seconds if polled else None, 2):>12}"
        )
    lines += ["", *verdicts(windows)]
    return "\n".join(lines)


def verdicts(windows: list[Window]) -> list[str]:
    alone, loaded, behind, again, unchanged, changed = windows
    per_200 = changed.cpu_ms
    # The unchanged run's few 200s (the clock's refreshes) at run 4's price; the rest are 304s.
    per_304 = (1000 * unchanged.cpu - unchanged.count(200) * per_200) / unchanged.count(304)
    # The machine is shared: the rate alone is the mean of the runs before and after the load.
    rate_alone = (alone.render_rate + again.render_rate) / 2
    ratio = loaded.render_rate / rate_alone
    checks = [
        (f"CPU per poll of an unchanged export: {unchanged.cpu_ms:.2f} ms all polls, "
         f"{per_304:.2f} ms per 304 (goal ≤ 1)", unchanged.cpu_ms <= 1),
        (f"CPU per changed poll (a 200): {per_200:.2f} ms (goal ≤ 2.5)", per_200 <= 2.5),
        (f"{loaded.clients} clients while rendering: p99 {loaded.percentile(0.99):.1f} ms "
         f"(goal < 100), {loaded.errors} errors, {loaded.skipped} skipped (goal 0, 0)",
         loaded.percentile(0.99) < 100 and loaded.errors == 0 and loaded.skipped == 0),
        (f"render rate while they poll it ÷ alone (mean of 1 and 1'): {ratio:.2f} (goal ≥ 0.8)",
         ratio >= 0.8),
        (f"{behind.clients} clients polling an export queued behind the render: p99 "
         f"{behind.percentile(0.99):.1f} ms, {behind.errors} errors, {behind.skipped} skipped; "
         f"render rate ÷ alone: {behind.render_rate / rate_alone:.2f}",
         behind.percentile(0.99) < 100 and behind.errors == behind.skipped == 0
         and behind.render_rate >= 0.8 * rate_alone),
    ]  # fmt: skip
    return [f"{text}: {'met' if met else 'MISSED'}" for text, met in checks]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60, help="each run's window")
    parser.add_argument("--web-workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--render-processes", type=int, default=2)
    parser.add_argument("--records", type=int, default=900, help="of the render; 3 photos each")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--quick", action="store_true", help="smoke run: 50 clients, 5 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.seconds, args.records = 50, 5, 120
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    note(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sitepack-poll-")))
        endpoint = stack.enter_context(RcloneS3())
        env = export_seed.environment(tmp, endpoint, stack.enter_context(RedisServer()))
        env.update(SESSION_COOKIE_SECURE="false", EXPORT_FANOUT_MIN="1000000",
                   EXPORT_RENDER_PROCESSES=str(args.render_processes),
                   SWEEP_INTERVAL_SECONDS="3600")  # fmt: skip
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        stack.enter_context(export_seed.app_for(env).app_context())
        if args.database_url:
            db.drop_all()
        engine_lab.LOGS.mkdir(parents=True, exist_ok=True)
        log = engine_lab.LOGS / f"poll-bench-{os.getpid()}.log"
        note(f"gunicorn's and the worker's output: {log}")
        windows = runs(args, env, tmp, log)
    note(f"load average {os.getloadavg()[0]:.2f}")
    print(table(windows, args), flush=True)


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
