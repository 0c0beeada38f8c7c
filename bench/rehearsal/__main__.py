"""`make rehearsal`: Sitepack on several hosts (network namespaces on one machine), faults
injected, every outcome checked, one table printed.

    python -m bench.rehearsal [--records 600] [--only partition,pause] [--short] [--break-fence]
    python -m bench.rehearsal cleanup     remove what an interrupted run left (idempotent)

Runs as root (namespaces, veth, a bridge). --short is the CI's rehearsal: partition, host
death and web node death on a 200-record export. --break-fence starts the workers with the
test-only switch that skips the fence's attempt and claim checks: the partition scenario must
then fail, which proves the rehearsal can fail. The exit status is 1 when a scenario failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench.rehearsal import figures, hosts, netns, scenarios
from bench.rehearsal.browsers import Browsers, login
from bench.rehearsal.hosts import LB, WEBS, WORKERS, Fleet
from bench.rehearsal.lab import Lab
from bench.rehearsal.scenarios import Context, Outcome, note

# The figures of the README's "Past one machine" first, then the faults.
FAULTS = {
    "spread": scenarios.SCENARIOS["spread"],
    "poll-figures": (figures.poll, False),
    "fan-out": None,
    **{name: fault for name, fault in scenarios.SCENARIOS.items() if name != "spread"},
}
LOGS = hosts.ROOT / "test-artifacts" / "rehearsal"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "cleanup"))
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--only", type=lambda text: text.split(","), default=None,
                        help=f"comma-separated, of: {', '.join(FAULTS)}")  # fmt: skip
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--break-fence", action="store_true")
    parser.add_argument("--browsers", type=int, default=200)
    parser.add_argument("--fault-seconds", type=float, default=60)
    parser.add_argument("--s3-seconds", type=float, default=30)
    args = parser.parse_args(argv)
    if args.short:
        args.records, args.fault_seconds = 200, 20
        args.only = args.only or list(scenarios.SHORT[1:])
    args.only = args.only or list(FAULTS)
    return args


def overrides(args) -> dict[str, str]:
    """Chunks small enough that every worker host takes some of each export."""
    chunk = max(10, args.records // 12)
    env = {
        "EXPORT_CHUNK_RECORDS": str(chunk),
        "EXPORT_FANOUT_MIN": str(min(200, chunk * 2)),
        # The big export on the large lane, the small one on the fast lane.
        "EXPORT_SMALL_LANE_MAX": str(min(200, args.records // 2)),
    }
    if args.break_fence:
        env["TEST_SKIP_FENCE"] = "1"
    return env


def start(args, home: Path) -> tuple[Fleet, Lab]:
    fleet = Fleet(home, LOGS)
    fleet.env = hosts.app_env(fleet, overrides(args))
    hosts.start_network()
    hosts.start_services(fleet)
    hosts.create_database(fleet)
    hosts.release(fleet)
    lab = Lab(fleet, args.records)
    lab.seed()
    for web in WEBS:
        hosts.start_web(fleet, web)
    hosts.start_nginx(fleet)
    for worker in WORKERS:
        hosts.start_worker(fleet, worker)
    return fleet, lab


def rehearse(args, fleet: Fleet, lab: Lab) -> list[Outcome]:
    base = f"http://{LB.address}"
    cookies = [login(base, "member@acme.test"), login(base, "admin@acme.test")]
    ctx = Context(fleet, lab, None, args.fault_seconds, args.s3_seconds, cookies)
    outcomes = []
    for name in args.only:
        if name == "fan-out":
            outcomes.append(Outcome(name, [], figures.fan_out(ctx)))
            continue
        fault, errors_allowed = FAULTS[name]
        pair_paths = lambda pair: [f"/exports/{lab.row(i).public_id}/status" for i in pair.ids]  # noqa: E731
        ctx.browsers = None
        outcome = with_browsers(ctx, args, base, cookies, pair_paths, name, fault, errors_allowed)
        outcomes.append(outcome)
    return outcomes


def with_browsers(ctx, args, base, cookies, pair_paths, name, fault, errors_allowed) -> Outcome:
    """The scenario with the browsers polling its two exports from the moment they exist."""

    def polled(context, pair):
        context.browsers = Browsers(base, pair_paths(pair), cookies, args.browsers)
        context.browsers.start()
        return fault(context, pair)

    try:
        return scenarios.run(ctx, name, polled, errors_allowed)
    finally:
        if ctx.browsers:
            ctx.browsers.stop()


def table(outcomes: list[Outcome]) -> str:
    lines = [f"{'scenario':<17} | {'result':<6} | figures", f"{'-' * 17}-+-{'-' * 6}-+-{'-' * 60}"]
    for o in outcomes:
        figures = "; ".join(f"{k} {v}" for k, v in o.figures.items())
        lines.append(f"{o.name:<17} | {'ok' if not o.problems else 'FAILED':<6} | {figures}")
        lines += [f"{'':<17} | {'':<6} |   ! {p}" for p in o.problems]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("the rehearsal needs root: network namespaces, veth pairs, a bridge")
    if args.command == "cleanup":
        print("removed:", " ".join(netns.cleanup()) or "nothing")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    home = Path(tempfile.mkdtemp(prefix="sitepack-rehearsal-"))
    home.chmod(0o755)
    started = time.monotonic()
    try:
        fleet, lab = start(args, home)
        outcomes = rehearse(args, fleet, lab)
    finally:
        netns.cleanup()
        shutil.rmtree(home, ignore_errors=True)
    note(f"rehearsal took {time.monotonic() - started:.0f} s; logs in {LOGS}")
    print(table(outcomes), flush=True)
    return 0 if all(not o.problems for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
