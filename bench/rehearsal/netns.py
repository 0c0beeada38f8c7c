"""The rehearsal's hosts: one network namespace each, on a private bridge.

Every name starts with PREFIX and every address is in NETWORK, so `cleanup` can find and
remove whatever a run left (an interrupted run, a crashed harness) without a record of it.
Only these addresses and loopback are ever dialled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "sprh"
BRIDGE = f"{PREFIX}-br0"
NETWORK = "10.203.0"
GATEWAY = f"{NETWORK}.1"  # the harness's own address on the bridge (the pollers' client)


@dataclass(frozen=True)
class Host:
    name: str  # short: web1, w2, ...
    address: str
    cpu: int | None = None  # taskset's CPU; None: any
    extra: tuple[str, ...] = ()  # further addresses (the services host's S3 address)

    @property
    def netns(self) -> str:
        return f"{PREFIX}-{self.name}"

    @property
    def link(self) -> str:
        """The veth end on the bridge: `ip link set <link> down` cuts the host off."""
        return f"{PREFIX}-{self.name}"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def create_bridge() -> None:
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")


def create_host(host: Host) -> None:
    ip("netns", "add", host.netns)
    ip("link", "add", host.link, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
    ip("link", "set", host.link, "master", BRIDGE)
    ip("link", "set", host.link, "up")
    inside = ("-n", host.netns)
    ip(*inside, "link", "set", "lo", "up")
    for address in (host.address, *host.extra):
        ip(*inside, "addr", "add", f"{address}/24", "dev", "eth0")
    ip(*inside, "link", "set", "eth0", "up")


def command(host: Host, argv: list[str]) -> list[str]:
    """argv run on `host`: inside its namespace, pinned to its CPU."""
    pinned = ["taskset", "-c", str(host.cpu)] if host.cpu is not None else []
    return ["ip", "netns", "exec", host.netns, *pinned, *argv]


def pids(host: Host) -> list[int]:
    """Every process on the host (its namespace), whoever started it."""
    found = ip("netns", "pids", host.netns, check=False).stdout.split()
    return [int(pid) for pid in found if int(pid) != os.getpid()]


def name_of(pid: int) -> str | None:
    """A process's name (/proc/<pid>/comm), None once it has gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def signal_host(host: Host, sig: int) -> int:
    """`sig` to every process of the host; returns how many got it."""
    sent = 0
    for pid in pids(host):
        try:
            os.kill(pid, sig)
            sent += 1
        except ProcessLookupError:
            pass
    return sent


def cut(host: Host) -> None:
    ip("link", "set", host.link, "down")


def heal(host: Host) -> None:
    ip("link", "set", host.link, "up")


def block(host: Host, address: str) -> None:
    """`address` unreachable from `host` alone (its sockets are refused a route); others
    still reach it."""
    ip("-n", host.netns, "route", "add", "prohibit", f"{address}/32")


def unblock(host: Host, address: str) -> None:
    ip("-n", host.netns, "route", "del", "prohibit", f"{address}/32")


def ours() -> list[str]:
    listed = ip("netns", "list", check=False).stdout.split("\n")
    return [line.split()[0] for line in listed if line.startswith(f"{PREFIX}-")]


def cleanup() -> list[str]:
    """Kills every process in our namespaces, then removes them and the bridge; idempotent."""
    removed = []
    for netns in ours():
        for pid in ip("netns", "pids", netns, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGCONT)
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while ip("netns", "pids", netns, check=False).stdout.split():
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        ip("netns", "del", netns, check=False)
        removed.append(netns)
    links = ip("-o", "link", "show", check=False).stdout
    for line in links.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(f"{PREFIX}-"):
            ip("link", "del", name, check=False)
            removed.append(name)
    return removed
