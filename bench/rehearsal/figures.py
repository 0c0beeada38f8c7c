"""The README's figures past one machine, measured on the rehearsal's hosts.

poll: the browsers' p99 and the web hosts' CPU per poll while an export renders, with every
worker host pinned to one core and both web hosts to the other, so that what the web side
costs is no longer mixed with the render (the one-loopback bench could not separate them).

fan-out: the same cold export on one worker host, then on all three; the ratio of their
rates, and the ceiling on this machine from the CPU each record costs the workers and the
S3 server (rclone shares the cores here; on its own core it alone would cap the fleet at
1 / its CPU per record).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bench.rehearsal import hosts, lab, netns
from bench.rehearsal.hosts import ALL, FAST_HOST, WEBS, WORKERS
from bench.rehearsal.scenarios import Context, at_progress, note

WINDOW_SECONDS = 30
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> float:
    """CPU seconds of these processes and of the children they reaped (a worker's
    work-horses, a horse's render processes)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return total / TICKS


def host_cpu(host: netns.Host) -> float:
    return cpu_of(netns.pids(host))


def pin(host: netns.Host, cpu: int | None) -> None:
    cpus = str(cpu) if cpu is not None else f"0-{os.cpu_count() - 1}"
    for pid in netns.pids(host):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], capture_output=True)


def poll(ctx: Context, pair) -> tuple[dict[str, str], list[str]]:
    """Browsers polling through nginx while the export renders, web and workers apart."""
    for host in WORKERS:
        pin(host, 0)
    for host in WEBS:
        pin(host, 1)
    try:
        at_progress(ctx, pair, 0.05)
        before, opened = sum(host_cpu(h) for h in WEBS), time.monotonic()
        done_before = ctx.lab.progress(pair.big)[1]
        time.sleep(WINDOW_SECONDS)
        closed = time.monotonic()
        spent = sum(host_cpu(h) for h in WEBS) - before
        rendered = ctx.lab.progress(pair.big)[1] - done_before
    finally:
        for host in ALL:
            pin(host, host.cpu)
    polls = ctx.browsers.tally.between(opened, closed)
    seconds = sorted(p.seconds for p in polls)
    p99 = seconds[int(0.99 * (len(seconds) - 1))] if seconds else float("nan")
    figures = {
        "served": f"{len(polls) / (closed - opened):.0f}/s",
        "p99": f"{1000 * p99:.0f} ms",
        "web CPU/poll": f"{1000 * spent / max(1, len(polls)):.2f} ms",
        "render": f"{rendered / (closed - opened):.1f} rec/s on 1 core",
    }
    return figures, []


def fan_out(ctx: Context) -> dict[str, str]:
    """One worker host, then three, on the same cold export; the ratio and the ceiling."""
    one = measure(ctx, WORKERS[:1])
    three = measure(ctx, WORKERS)
    worker_ms = 1000 * three["worker_cpu"] / three["records"]
    s3_ms = 1000 * three["s3_cpu"] / three["records"]
    cores = os.cpu_count()
    return {
        "1 host": f"{one['rate']:.1f} rec/s",
        "3 hosts": f"{three['rate']:.1f} rec/s",
        "ratio": f"{three['rate'] / one['rate']:.2f}x",
        "CPU/rec": f"workers {worker_ms:.0f} ms, rclone {s3_ms:.1f} ms",
        "ceiling": f"{cores} cores / {worker_ms + s3_ms:.0f} ms = "
        f"{1000 * cores / (worker_ms + s3_ms):.1f} rec/s; rclone alone on a core "
        f"{1000 / s3_ms:.0f} rec/s",
    }


def measure(ctx: Context, working) -> dict[str, float]:
    idle = [h for h in WORKERS if h not in working]
    stopped = [name for name, p in ctx.fleet.procs.items() if p.host in idle]
    if FAST_HOST in working and len(working) == 1:
        stopped.append(f"{FAST_HOST.name}-fast")
    for name in stopped:
        ctx.fleet.procs[name].stop()
    try:
        s3_pid = ctx.fleet.procs["s3"].popen.pid
        cpu0, s3_0 = sum(host_cpu(h) for h in working), cpu_of([s3_pid])
        pair = ctx.lab.request()
        ctx.lab.wait_finished(pair)
        wall = pair.finished - pair.requested
        for export_id in pair.ids:
            ctx.lab.kept.update(part.object_key for part in ctx.lab.row(export_id).parts)
        records = ctx.lab.records + lab.SMALL
        result = {"rate": records / wall, "records": records,
                  "worker_cpu": sum(host_cpu(h) for h in working) - cpu0,
                  "s3_cpu": cpu_of([s3_pid]) - s3_0}  # fmt: skip
        note(f"fan-out on {len(working)} hosts: {result}")
        return result
    finally:
        for host in idle:
            hosts.start_worker(ctx.fleet, host)
        if FAST_HOST not in idle and f"{FAST_HOST.name}-fast" in stopped:
            fast = ["python", "-m", "jobs.worker", "--queues", "mail", "exports-small"]
            ctx.fleet.run(FAST_HOST, f"{FAST_HOST.name}-fast", fast, ctx.fleet.host_env(FAST_HOST))
