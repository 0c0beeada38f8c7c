"""What a worker's process tree costs, read from /proc while it runs.

The bench's figure for CPU is getrusage(RUSAGE_CHILDREN) across the workers' lives: it holds
every process of the tree that was waited for (RQ waits for its work-horse, the horse's
render pool joins its processes). The sampler here checks that: it keeps the last CPU time
seen of each process in the trees, a lower bound that must come close. It also keeps the
work-horses' peak RSS (VmHWM) and the most disk the trees held: files under the given
folders plus files they hold open after deleting them.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from the state on (index 0 = state, 1 = ppid)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def own_cpu(pid: int) -> float:
    """CPU seconds of one live process, its waited-for children excluded."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else 0.0


def tree_cpu(root: int) -> float:
    """CPU seconds of a live tree: each process's own plus its waited-for children's."""
    total = 0.0
    for pid in {root, *descendants(root, children())}:
        if fields := _stat(pid):
            total += sum(int(f) for f in fields[11:15]) / TICK
    return total


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(root: int, tree: dict[int, list[int]]) -> dict[int, int]:
    """pid → depth below `root` (1 = its children)."""
    found, todo = {}, [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        for child in tree.get(pid, []):
            if child not in found:
                found[child] = depth + 1
                todo.append((child, depth + 1))
    return found


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def folder_bytes(folders: Iterable[Path]) -> int:
    """Disk blocks in use under the folders, as `du` counts them."""
    total = 0
    for folder in folders:
        for top, dirs, files in os.walk(folder):
            for name in files + dirs:
                try:
                    total += os.lstat(os.path.join(top, name)).st_blocks * 512
                except OSError:
                    continue
    return total


def deleted_open_bytes(pids: Iterable[int]) -> int:
    """Regular files the processes hold open after unlinking them (a tempfile's usual way),
    which no `du` sees; each file counted once."""
    seen, total = set(), 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                if not os.readlink(path).endswith(" (deleted)"):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


class Sampler(threading.Thread):
    """Samples the trees under `roots` every `every` seconds until `stop()`.

    Processes present at the start (the RQ scheduler) are not work-horses; every child of
    a root forked later is."""

    def __init__(self, roots: list[int], folders: list[Path] = (), every: float = 0.2):
        super().__init__(daemon=True)
        self.roots, self.folders, self.every = roots, list(folders), every
        tree = children()
        self.before = {pid for root in roots for pid in descendants(root, tree)}
        self.cpu: dict[int, float] = {}  # pid → last CPU seconds seen (its own)
        self.depth: dict[int, int] = {}
        self.horse_hwm_kb = 0
        self.peak_disk = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            self.sample()

    def stop(self) -> Sampler:
        self._halt.set()
        self.join()
        return self

    def sample(self) -> None:
        tree = children()
        family = {root: 0 for root in self.roots}
        for root in self.roots:
            family.update(descendants(root, tree))
        for pid, depth in family.items():
            if fields := _stat(pid):
                self.cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
                self.depth[pid] = depth
            if depth == 1 and pid not in self.before:
                self.horse_hwm_kb = max(self.horse_hwm_kb, vm_hwm_kb(pid))
        if self.folders:
            used = folder_bytes(self.folders) + deleted_open_bytes(family)
            self.peak_disk = max(self.peak_disk, used)

    def seen_cpu(self, depths: tuple[int, ...] | None = None) -> float:
        """CPU seconds seen, of every process or of those at `depths` below a root."""
        return sum(
            cpu for pid, cpu in self.cpu.items() if depths is None or self.depth[pid] in depths
        )
