"""Issue 9's benchmarks: the export engine end to end, on real workers, in one table.

Everything runs against real processes: a private Redis and rclone S3, SQLite, and
`python -m jobs.worker` fleets started afresh for each run (bench/engine_lab.py says how
their CPU is counted). The photo records carry 3 shared 1600 px renditions (~0.6 MB each);
the big run's records carry none, so that 10,000 renders stay feasible on 2 cores.

    .venv/bin/python -m bench.engine_bench [--records 1000] [--big 10000] [--quick]

1. cold export, 1 worker × 2 render processes, against the render engine alone (raw);
2. warm export of the same records (every PDF cached), against moving their bytes alone;
3. the cold export re-ordered after it expired;
4. fan-out: 1 worker × 1 render process against 2 workers × 1 (goal ≥ 1.8×);
5. 4 workers × 1 on 2 cores: every record once in the zip, one ready email;
6. the big export: a worker's peak disk (goal ≤ 64 MB), the work-horse's peak RSS against
   a 100-record export (goal ≤ 1.1×).

The machine is shared: read the ratios, which are measured side by side in this one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass

from bench import engine_lab
from bench.engine_lab import Fleet, Lab, Raw, Run, World, clear_cache, new_export
from tests.servers import MailSink


@dataclass(frozen=True)
class Row:
    number: str
    what: str
    wall: float | None
    rate: float | None
    cpu_ms: float | None  # worker CPU per record
    rclone_ms: float | None
    result: str
    run: Run | None = None


def row(number: str, what: str, run: Run, result: str) -> Row:
    row = Row(number, what, run.wall, run.rate, run.per_record(run.cpu),
              run.per_record(run.rclone_cpu), result, run)  # fmt: skip
    note(f"{number} {what}: {run.wall:.1f} s, {result}")
    return row


def cold_warm_reorder(lab: Lab, world: World, raw: Raw) -> list[Row]:
    n, fleet = len(world.ids), Fleet(workers=1, processes=2)
    cold = lab.run(fleet, lambda: new_export(world, world.photos_project, world.ids), n)
    warm = lab.run(fleet, lambda: new_export(world, world.photos_project, world.ids), n)
    again = lab.run(fleet, lambda: engine_lab.expire_and_reorder(world, cold.export_id), n)
    floor = engine_lab.bytes_alone(world.ids, lab.rclone_pid)
    engine = "raw engine: RenderPool.render_all, 2 processes, MemoryPhotos"
    alone = "the bytes alone: the cached PDFs read and written to one object"
    return [
        row("1", f"cold export, {n} records × 3 photos, 1 worker × 2 render procs", cold,
            f"pipeline ÷ raw = {cold.rate / raw.rate:.2f}"),
        Row("", engine, raw.wall, raw.rate, 1000 * raw.cpu / raw.records, None, "(render CPU)"),
        row("2", "warm export of the same records (all cached)", warm,
            f"cold ÷ warm (wall) = {cold.wall / warm.wall:.1f}"),
        Row("", alone, floor.wall, floor.rate, 1000 * floor.cpu / n, 1000 * floor.rclone_cpu / n,
            f"warm ÷ bytes alone (wall) = {warm.wall / floor.wall:.2f}"),
        row("3", "re-order of the cold export after it expired", again,
            f"first run ÷ re-order (wall) = {cold.wall / again.wall:.1f}"),
    ]  # fmt: skip


def fanned(records: int, workers: int) -> Fleet:
    """EXPORT_FANOUT_MIN low enough to fan out; the default chunk unless that leaves < 10."""
    chunk = min(100, max(5, records // 10))
    return Fleet(workers=workers, processes=1, fanout_min=min(10, records - 1), chunk=chunk)


def fan_out(lab: Lab, world: World) -> list[Row]:
    n = len(world.ids)
    runs = []
    for workers in (1, 2):
        clear_cache()
        start = lambda: new_export(world, world.photos_project, world.ids)  # noqa: E731
        runs.append(lab.run(fanned(n, workers), start, n))
    one, two = runs
    ratio = two.rate / one.rate
    return [
        row("4", f"fan-out, cold, 1 worker × 1 render proc (chunks of {fanned(n, 1).chunk})",
            one, ""),
        row("", "fan-out, cold, 2 workers × 1 render proc", two,
            f"2 ÷ 1 workers = {ratio:.2f}× (goal ≥ 1.8) {'met' if ratio >= 1.8 else 'MISSED'}"),
    ]  # fmt: skip


def four_workers(lab: Lab, world: World, mail: MailSink) -> Row:
    n = len(world.ids)
    clear_cache()
    mail.messages.clear()
    run = lab.run(fanned(n, 4), lambda: new_export(world, world.photos_project, world.ids), n)
    problems = engine_lab.holds_each_record_once(run.export_id, world.ids)
    problems += engine_lab.one_ready_email(run.export_id, mail)
    result = "ok" if not problems else "FAILED: " + "; ".join(problems)
    return row("5", f"4 workers × 1 render proc on 2 cores, cold, {n} records", run, result)


def big_export(lab: Lab, world: World, small: int) -> list[Row]:
    fleet, ids = Fleet(workers=1, processes=2, watch_disk=True), world.big_ids
    clear_cache()
    little = lab.run(fleet, lambda: new_export(world, world.big_project, ids[:small]), small)
    clear_cache()
    big = lab.run(fleet, lambda: new_export(world, world.big_project, ids), len(ids))
    growth = big.horse_mb / little.horse_mb
    return [
        row("6", f"cold export, {small} records, no photos, 1 worker × 2", little,
            f"peak disk {little.disk_mb:.1f} MB; job peak RSS {little.horse_mb:.0f} MB"),
        row("", f"cold export, {len(ids)} records, no photos, 1 worker × 2", big,
            f"peak disk {big.disk_mb:.1f} MB (goal ≤ 64) {verdict(big.disk_mb <= 64)}; "
            f"job peak RSS {big.horse_mb:.0f} MB, ÷ {small} records' = {growth:.2f} "
            f"(goal ≤ 1.1) {verdict(growth <= 1.1)}"),
    ]  # fmt: skip


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def table(rows: list[Row]) -> str:
    def cell(value: float | None, digits: int) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    lines = [f"{'#':<2} {'run':<66} {'wall s':>7} {'rec/s':>7} {'CPU ms/rec':>10} "
             f"{'rclone ms/rec':>13}  result"]  # fmt: skip
    for r in rows:
        lines.append(
            f"{r.number:<2} {r.what:<66} {cell(r.wall, 1):>7} {cell(r.rate, 2):>7} "
            f"{cell(r.cpu_ms, 0):>10} {cell(r.rclone_ms, 1):>13}  {r.result}"
        )
    lines.append("")
    lines.append(
        "CPU accounting check: getrusage over the workers' lives (start-up included) "
        "against the last CPU time /proc showed of each process in their trees (worker "
        "parents, work-horses, render processes), and the ready email's delay:"
    )
    for r in rows:
        if r.run is not None:
            lines.append(
                f"  {r.number or ' '} {r.what[:50]:<50} getrusage {r.run.total_cpu:7.1f} s, "
                f"/proc {r.run.seen_cpu:7.1f} s: horses {r.run.horse_cpu:6.1f}, render "
                f"{r.run.render_cpu:6.1f}; ready email {r.run.mail_delay:4.1f} s after"
            )
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="records with 3 photos")
    parser.add_argument("--big", type=int, default=10_000, help="records without photos")
    parser.add_argument("--small", type=int, default=100, help="the big run's baseline")
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 records, big 300")
    parser.add_argument(
        "--rows", type=lambda text: set(text.split(",")), default=set("123456"),
        help="which rows to run, e.g. 4 or 1,6 (2 and 3 come with 1); default: all",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.big = 60, 300
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    note(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with ExitStack() as stack:
        tmp, rclone, env = engine_lab.servers(stack, "sitepack-engine-")
        world = engine_lab.seed(args.records, args.big if "6" in args.rows else 0)
        # The raw engine forks this process: before the mail sink starts its thread.
        raw = engine_lab.raw_engine(world, processes=2) if "1" in args.rows else None
        note(f"raw engine: {raw.rate:.2f} records/s" if raw else "raw engine: not run")
        mail = stack.enter_context(MailSink())
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail.port))
        lab = Lab(tmp, env, rclone.proc.pid)
        rows = [] if "1" not in args.rows else cold_warm_reorder(lab, world, raw)
        rows += [] if "4" not in args.rows else fan_out(lab, world)
        rows += [] if "5" not in args.rows else [four_workers(lab, world, mail)]
        rows += [] if "6" not in args.rows else big_export(lab, world, args.small)
    note(f"load average {os.getloadavg()[0]:.2f}")
    print(table(rows), flush=True)


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
