"""A killed job must not leave its render processes behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import multiprocessing, os, signal
from jobs.render import RenderPool
from portal.storage.client import Settings
with RenderPool(Settings(None, "us-east-1", None, None, "bucket"), 2) as pool:
    pool._executor.submit(os.getpid).result()
    children = [p.pid for p in multiprocessing.active_children()]
    print(" ".join(map(str, children)), flush=True)
    signal.pause()  # the test kills us here, as RQ kills a work-horse
"""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_render_processes_die_when_the_work_horse_is_killed():
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    children = [int(pid) for pid in proc.stdout.readline().split()]
    assert len(children) == 2 and all(alive(pid) for pid in children)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    wait_until(lambda: not any(alive(pid) for pid in children), timeout=10)
