"""The faults, one scenario each, and the checks every scenario must pass.

Each scenario requests a big fanned-out export and a small one on the fast lane while the
browsers poll both through nginx, waits for its moment, injects its fault, heals it (or not),
then waits for both exports and checks them: one completed export per request, every record
exactly once, one ready email each, no multipart upload, stray zip or temp file left, and no
5xx a person saw.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench import engine_lab
from bench.rehearsal import hosts, lab, netns
from bench.rehearsal.browsers import AGENT, Browsers, Tally
from bench.rehearsal.hosts import WEBS, WORKERS, Fleet
from bench.rehearsal.lab import Lab, Pair, Stuck
from jobs.resilient import SCHEDULER_PROCESS_NAME
from portal.models import ExportStatus

CLEANUP_SECONDS = 90  # the recovery pass aborts leftover uploads every few seconds


@dataclass
class Context:
    fleet: Fleet
    lab: Lab
    browsers: Browsers | None
    fault_seconds: float  # partition and pause
    s3_seconds: float
    cookies: list[str] = field(default_factory=list)  # the requesters' sessions, via nginx
    clean_wall: float | None = None
    dead: set[str] = field(default_factory=set)  # hosts killed for good


@dataclass
class Outcome:
    name: str
    problems: list[str]
    figures: dict[str, str]

    @property
    def result(self) -> str:
        return "ok" if not self.problems else "FAILED: " + "; ".join(self.problems)


Fault = Callable[[Context, Pair], tuple[dict[str, str], list[str]]]


def run(ctx: Context, name: str, fault: Fault, errors_allowed: bool = False) -> Outcome:
    note(f"{name}: requesting a {ctx.lab.records}-record export and a {lab.SMALL}-record one")
    pair = ctx.lab.request()
    opened = time.monotonic()
    try:
        figures, problems = fault(ctx, pair)
        ctx.lab.wait_finished(pair)
    except Stuck as exc:
        note(f"{name}: {exc}")
        return Outcome(name, [str(exc)], {})
    except Exception as exc:  # noqa: BLE001 - the table must still be printed
        logging.exception("%s: the harness failed", name)
        return Outcome(name, [f"harness error: {exc!r}"[:300]], {})
    wall = pair.finished - pair.requested
    clean_wall = f" (clean {ctx.clean_wall:.0f} s)" if ctx.clean_wall else ""
    figures = {"wall": f"{wall:.0f} s{clean_wall}", **figures}
    problems += settle(ctx, pair, figures)
    closed = time.monotonic()
    if ctx.browsers:
        polls = ctx.browsers.tally.between(opened, closed)
        tolerated = (503,) if name == "postgres-restart" else ()
        seen, retried = Tally.errors(polls, tolerated), Tally.retried(polls)
        figures["polls"] = f"{len(polls)}, {retried} failed once, {seen} seen"
        if tolerated:
            figures["polls"] += f", 503 + Retry-After {Tally.count(polls, 503)}"
        if seen or (retried and not errors_allowed and not tolerated):
            problems.append(f"pollers: {retried} failed polls, {seen} still failing after a retry")
    note(f"{name}: {problems or 'ok'}; {figures}")
    return Outcome(name, problems, figures)


def settle(ctx: Context, pair: Pair, figures: dict[str, str]) -> list[str]:
    """The checks every scenario ends with (see the module's docstring)."""
    problems = []
    big, small = ctx.lab.row(pair.big), ctx.lab.row(pair.small)
    for export, ids in ((big, ctx.lab.big_ids), (small, ctx.lab.small_ids)):
        if export.status != ExportStatus.COMPLETED:
            problems.append(f"export {export.id} {export.status}: {export.error}")
            continue
        problems += [
            f"export {export.id}: {p}" for p in engine_lab.holds_each_record_once(export.id, ids)
        ]
        most = ctx.lab.done_seen.get(export.id, 0)
        if export.done != len(ids) or most > len(ids):
            problems.append(f"export {export.id} counted {export.done} (at most {most}) "
                            f"of {len(ids)} records: late writes got through")  # fmt: skip
        by = lab.completed_by(export.id)
        if not by.startswith(f"attempt {export.attempt},"):
            problems.append(
                f"export {export.id} completed by '{by}', its latest is {export.attempt}"
            )
        mails = lab.ready_emails(ctx.fleet.home / "mail", export.public_id)
        if mails != 1:
            problems.append(f"export {export.id}: {mails} ready emails")
        ctx.lab.kept.update(part.object_key for part in export.parts)
    figures["attempts"] = f"{big.attempt}+{small.attempt}"
    problems += leftovers(ctx, figures)
    return problems


def leftovers(ctx: Context, figures: dict[str, str]) -> list[str]:
    living = [h for h in WORKERS if h.name not in ctx.dead]

    def clean():
        return (not lab.multipart_uploads() and lab.zips() == ctx.lab.kept
                and not lab.leftover_files(ctx.fleet, living))  # fmt: skip

    with contextlib.suppress(Stuck):  # what is left is reported below
        ctx.lab.wait_for(clean, "nothing left behind", timeout=CLEANUP_SECONDS, every=1)
    uploads, extra = lab.multipart_uploads(), lab.zips() - ctx.lab.kept
    files = lab.leftover_files(ctx.fleet, living)
    figures["left"] = f"{len(uploads)} uploads, {len(extra)} objects, {len(files)} files"
    problems = [f"multipart uploads left: {uploads}"] if uploads else []
    problems += [f"objects left: {sorted(extra)}"] if extra else []
    problems += [f"temp files left: {files}"] if files else []
    return problems


def at_progress(ctx: Context, pair: Pair, share: float) -> None:
    total = ctx.lab.records
    ctx.lab.wait_for(lambda: ctx.lab.progress(pair.big)[1] >= share * total,
                     f"{share:.0%} rendered")  # fmt: skip


def chunk_holder(ctx: Context, pair: Pair, helpers_only: bool) -> tuple[str, str]:
    """A worker host rendering a chunk of the big export now (a helper's, if asked)."""

    def found():
        working = ctx.lab.hosts_working_on(pair.big)
        if helpers_only:
            working = {h: j for h, j in working.items() if "-helper-" in j}
        return next(iter(sorted(working.items())), None)

    return ctx.lab.wait_for(found, "a host holding a chunk", every=0.2)


def host(name: str) -> netns.Host:
    return next(h for h in (*WORKERS, *WEBS) if h.name == name)


def clean(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    """spread: no fault; which host rendered which chunk."""
    seen: dict[str, set[str]] = {}

    def watch():
        for name, job in ctx.lab.hosts_working_on(pair.big).items():
            seen.setdefault(name, set()).add(job)
        return ctx.lab.progress(pair.big)[0] not in (ExportStatus.PENDING, ExportStatus.PROCESSING)

    ctx.lab.wait_for(watch, "the clean export", every=0.2)
    chunks = spread(ctx, pair.big)
    problems = [f"{h.name} rendered no chunk" for h in WORKERS if not chunks.get(h.name)]
    ctx.clean_wall = time.monotonic() - pair.requested
    problems += client_address(ctx, pair)
    return {"chunks": ", ".join(f"{k} {v}" for k, v in sorted(chunks.items()))}, problems


def client_address(ctx: Context, pair: Pair) -> list[str]:
    """A download through nginx, with an X-Forwarded-For the client made up: the app must
    record the address nginx saw (ProxyFix trusts one hop), not the made-up one nor nginx's."""
    export = ctx.lab.row(pair.big)
    answer = httpx.get(
        f"http://{hosts.LB.address}/exports/{export.public_id}/download",
        headers={
            "Cookie": f"session={ctx.cookies[0]}",
            "X-Forwarded-For": "203.0.113.9",
            "User-Agent": AGENT,
        },  # fmt: skip
    )
    seen = lab.download_addresses(export.id)
    if answer.status_code != 302 or seen != [netns.GATEWAY]:
        return [f"download through nginx: {answer.status_code}, recorded from {seen}"]
    return []


def spread(ctx: Context, export_id: int) -> dict[str, list[int]]:
    """Chunks each worker host logged as rendered for this export (any of its workers)."""
    line = re.compile(rf"export {export_id} attempt \d+: chunk (\d+) rendered here")
    found = {}
    for h in WORKERS:
        text = "".join(log.read_text(errors="replace")
                       for log in ctx.fleet.logs.glob(f"{h.name}*.log"))  # fmt: skip
        found[h.name] = sorted(int(n) for n in line.findall(text))
    return found


def partition(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    """The host running the export's own job loses its network for fault_seconds as it
    assembles the zip (every chunk rendered, so its attempt is all that holds the export),
    then heals. The export is taken over by a new attempt; the old one, back on the network
    with its upload half done, must write nothing (a broken fence lets it complete again)."""
    target = host(assembling(ctx, pair))
    late = late_work(target, ctx.fleet)
    netns.cut(target)
    cut_at, before = time.monotonic(), ctx.lab.attempts(pair.big)
    note(f"partition: cut {target.name}, attempt {before} assembling")
    problems, figures = [], {"host": target.name}
    try:
        ctx.lab.wait_for(lambda: ctx.lab.attempts(pair.big) > before, "taken over",
                         timeout=ctx.fault_seconds, every=0.2)  # fmt: skip
        took = time.monotonic() - cut_at
        figures["takeover"] = f"{took:.1f} s"
        config = ctx.lab.app.config
        limit = config["EXPORT_STALE_SECONDS"] + config["RECOVERY_INTERVAL_SECONDS"] + 5
        if took > limit:
            problems.append(f"taken over after {took:.0f} s, limit {limit} s")
    except Stuck:
        problems.append("not taken over while the host was cut off")
    time.sleep(max(0.0, cut_at + ctx.fault_seconds - time.monotonic()))
    netns.heal(target)
    note(f"partition: healed {target.name}")
    problems += renders_stop(ctx, target, late, figures)
    return figures, problems


def assembling(ctx: Context, pair: Pair) -> str:
    """The host of the export's own job once every record is rendered."""
    ctx.lab.wait_for(lambda: ctx.lab.progress(pair.big)[1] >= ctx.lab.records, "all rendered",
                     every=0.1)  # fmt: skip
    return ctx.lab.wait_for(lambda: owner_host(ctx, pair), "the export's own job", every=0.1)


def late_work(target: netns.Host, fleet: Fleet) -> set[int]:
    """The host's processes besides its workers and their schedulers (which hold no export
    and rightly live on): the work-horse and its render processes."""
    workers = {p.popen.pid for p in fleet.procs.values() if p.host == target}
    return {pid for pid in netns.pids(target)
            if pid not in workers and netns.name_of(pid) != SCHEDULER_PROCESS_NAME}  # fmt: skip


def renders_stop(ctx: Context, target: netns.Host, late: set[int], figures) -> list[str]:
    """After it heals, the work the host held when it was cut off ends (new work it takes
    afterwards is its right)."""
    healed = time.monotonic()

    def ended():
        return not late & set(netns.pids(target))

    try:
        ctx.lab.wait_for(ended, "renders stopped", timeout=60)
        figures["stopped"] = f"{time.monotonic() - healed:.0f} s after"
        return []
    except Stuck:
        return [f"{target.name} still runs {len(late & set(netns.pids(target)))} processes "
                "of its old attempt"]  # fmt: skip


def pause(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    """Every process of the host running the export's own job stopped mid-assembly."""
    target = host(assembling(ctx, pair))
    stopped = netns.signal_host(target, signal.SIGSTOP)
    note(f"pause: stopped {stopped} processes of {target.name}")
    time.sleep(ctx.fault_seconds)
    netns.signal_host(target, signal.SIGCONT)
    return {"host": target.name}, []


def owner_host(ctx: Context, pair: Pair) -> str | None:
    working = ctx.lab.hosts_working_on(pair.big)
    return next((h for h, job in working.items() if "-helper-" not in job), None)


def host_death(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    at_progress(ctx, pair, 0.15)
    name, job = chunk_holder(ctx, pair, helpers_only=False)
    killed = netns.signal_host(host(name), signal.SIGKILL)
    ctx.dead.add(name)
    note(f"host death: killed {killed} processes of {name} ({job})")
    return {"host": name}, []


def redis_restart(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    at_progress(ctx, pair, 0.3)
    hosts.restart_redis(ctx.fleet)
    return {}, []


def redis_lost(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    at_progress(ctx, pair, 0.3)
    hosts.lose_redis(ctx.fleet)
    return {}, []


def postgres_restart(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    at_progress(ctx, pair, 0.3)
    started = time.monotonic()
    hosts.restart_postgres(ctx.fleet)
    return {"down": f"{time.monotonic() - started:.1f} s"}, []


def s3_unreachable(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    at_progress(ctx, pair, 0.2)
    name = ctx.lab.wait_for(lambda: owner_host(ctx, pair), "the export's own job")
    netns.block(host(name), hosts.S3_ADDRESS)
    time.sleep(ctx.s3_seconds)
    netns.unblock(host(name), hosts.S3_ADDRESS)
    return {"host": name}, []


def web_death(ctx: Context, pair: Pair) -> tuple[dict[str, str], list[str]]:
    """web1 killed whole while the browsers poll; the logins must still work on web2."""
    at_progress(ctx, pair, 0.2)
    killed = netns.signal_host(WEBS[0], signal.SIGKILL)
    ctx.dead.add(WEBS[0].name)
    note(f"web death: killed {killed} processes of web1")
    return {"host": "web1"}, []


SCENARIOS: dict[str, tuple[Fault, bool]] = {
    "spread": (clean, False),
    "partition": (partition, False),
    "pause": (pause, False),
    "redis-restart": (redis_restart, False),
    "redis-lost": (redis_lost, False),
    "postgres-restart": (postgres_restart, False),
    "s3-unreachable": (s3_unreachable, False),
    "host-death": (host_death, False),
    "web-death": (web_death, True),
}
SHORT = ("spread", "partition", "host-death", "web-death")


def note(message: str) -> None:
    import sys

    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
