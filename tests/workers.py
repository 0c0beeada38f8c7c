"""Real RQ worker processes (`python -m jobs.worker`) for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import redis
from rq import Worker

from tests.polling import wait_until

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    """One worker with the test's environment; stopped (and its work-horse with it) on exit."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str):
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.args = list(args)
        self.redis = redis.Redis.from_url(env["REDIS_URL"])

    def __enter__(self) -> WorkerProcess:
        before = {w.name for w in Worker.all(connection=self.redis)}
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: self._registered(before) or self.proc.poll() is not None, timeout=30)
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker exited at start:\n{self.output()}")
        return self

    def _registered(self, before: set[str]) -> bool:
        return any(
            w.pid == self.proc.pid
            for w in Worker.all(connection=self.redis)
            if w.name not in before
        )

    def listed(self) -> bool:
        """Redis lists this worker now; False while Redis cannot be reached."""
        try:
            return any(w.pid == self.proc.pid for w in Worker.all(connection=self.redis))
        except redis.ConnectionError:
            return False

    def horse_pid(self) -> int | None:
        """The work-horse is the worker's child that has children of its own (the render pool);
        the scheduler, its other child, has none."""
        tree = children()
        busy = [pid for pid in tree.get(self.proc.pid, []) if tree.get(pid)]
        return busy[0] if busy else None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def __exit__(self, *exc) -> None:
        """Stop the worker and everything under it: the work-horse runs in its own process
        group (FACTS.md), so its pid is collected from /proc, not from the group."""
        family = descendants(self.proc.pid)
        for attempt in (self.proc.terminate, self.proc.terminate, self.proc.kill):
            attempt()  # warm shutdown, then cold (kills the horse), then SIGKILL
            try:
                self.proc.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        for pid in family | descendants_of_all(family) | session_members(self.proc.pid):
            _kill(pid)
        self.log.close()


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def session_members(session: int) -> set[int]:
    """Live processes of a session: the worker leads its own, and everything it ever forked
    stays in it, even a child started after its parent's family was collected."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def descendants(pid: int) -> set[int]:
    tree, found, todo = children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def descendants_of_all(pids: set[int]) -> set[int]:
    return set().union(*(descendants(p) for p in pids)) if pids else set()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
