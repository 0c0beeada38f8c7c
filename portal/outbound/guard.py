"""Which outbound URLs may be fetched, and the one address each may be fetched from.

A URL typed by a customer must not reach Sitepack's own network: loopback, private ranges,
link-local (the cloud metadata service at 169.254.169.254), and the same addresses spelt
otherwise. getaddrinfo turns `0177.1` and `2130706433` into 127.0.0.1 while `ipaddress`
refuses those strings, so names are always resolved first and the *resolved* addresses are
judged; IPv6 forms that carry an IPv4 address inside (mapped, NAT64, 6to4, Teredo,
IPv4-compatible) are judged by that IPv4 address too. The vetted address is the one dialled
(see fetch.py), so a name that resolves differently a moment later (DNS rebinding) changes
nothing.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
SCHEMES = {"http": 80, "https": 443}
# IPv6 prefixes whose last 32 bits are an IPv4 address that the packet ends up at.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# The setting (portal/config.py) that lists the addresses admitted anyway.
ALLOWLIST_SETTING = "OUTBOUND_ALLOWLIST"
MAX_HOST_CHARS = 253  # a DNS name's most, dots included (RFC 1035)


class Refused(ValueError):
    """The URL may not be fetched; the message says why, for the person who typed it."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host`, as text."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} could not be resolved ({exc.strerror}).") from exc
    return [answer[4][0] for answer in answers]


@dataclass(frozen=True)
class Allowed:
    """One allowlist entry: a network (any port) or one address and port."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> Allowed:
        """`10.0.0.0/8`, `127.0.0.1:8080` or `[::1]:8080`; ValueError names a bad one."""
        entry = entry.strip()
        host, _, port = entry.rpartition(":")
        try:
            if "/" in entry:
                return cls(ipaddress.ip_network(entry, strict=False))
            if port.isdigit():
                return cls(ipaddress.ip_network(host.strip("[]")), int(port))
        except ValueError:
            pass
        raise ValueError(
            f"{entry!r} is neither a network (10.0.0.0/8) nor an address:port (127.0.0.1:8080)"
        )

    def admits(self, address: IPAddress, port: int) -> bool:
        return address in self.network and self.port in (None, port)


@dataclass(frozen=True)
class Policy:
    """What an outbound request may reach and how long and how much it may take."""

    allowlist: tuple[Allowed, ...] = ()
    # Plain http is for development; an allowlisted address may use it anywhere (tests).
    require_https: bool = True
    connect_timeout: float = 5.0
    read_timeout: float = 5.0
    # The whole request, from resolving to the last byte read: resolving and every socket
    # operation get at most what is left.
    deadline: float = 10.0
    max_bytes: int = 64 * 1024
    resolver: Resolver = field(default=system_resolver, compare=False)
    # In development, a refusal names this setting and the entry that would admit the URL,
    # for a developer testing against a server on their own machine.
    hint_setting: str | None = None


@dataclass(frozen=True)
class Target:
    """A vetted URL: dial `address`:`port`, send `host` as the Host header and TLS name."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


def vet(url: str, policy: Policy, deadline: float | None = None) -> Target:
    """The address to dial for `url`, or Refused saying why it may not be fetched. Resolving
    ends by `deadline` (time.monotonic()), or within the policy's deadline without one."""
    parts, port = split(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("Only http and https URLs can be used.")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL may not contain a user name or password.")
    if not parts.hostname:
        raise Refused("The URL has no host name.")
    port = port or SCHEMES[scheme]
    if deadline is None:
        deadline = time.monotonic() + policy.deadline
    answers = resolve_by(deadline, policy.resolver, parts.hostname, port)
    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in answers]
    if not addresses:
        raise Refused(f"{parts.hostname} has no address.")
    allowlisted = [a for a in addresses if any(e.admits(a, port) for e in policy.allowlist)]
    if len(allowlisted) != len(addresses):
        check_all_public(addresses, port, policy)
    if scheme == "http" and policy.require_https and not allowlisted:
        raise Refused("The URL must start with https://.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port, str(addresses[0]), path)


def check_all_public(addresses: list[IPAddress], port: int, policy: Policy) -> None:
    """Refused unless every address is public; in development the message says which
    allowlist entries would admit them all (every address of the name must be allowed)."""
    try:
        for address in addresses:
            check_public(address)
    except Refused as exc:
        if policy.hint_setting is None:
            raise
        entries = ",".join(dict.fromkeys(allowlist_entry(a, port) for a in addresses))
        raise Refused(
            f"{exc} To test against a server of your own in development, add {entries} to "
            f"{policy.hint_setting} (comma-separated, in .env) and restart."
        ) from exc


def allowlist_entry(address: IPAddress, port: int) -> str:
    """The allowlist entry that admits `address`:`port` (the form Allowed.parse reads)."""
    return f"{address}:{port}" if address.version == 4 else f"[{address}]:{port}"


def resolve_by(deadline: float, resolver: Resolver, host: str, port: int) -> list[str]:
    """`resolver`'s answer, or Refused once `deadline` passes. getaddrinfo takes no timeout
    and a slow or hostile name server can hold it for tens of seconds, so it runs on a daemon
    thread that the caller stops waiting for; the thread ends when the resolver gives up."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(resolver(host, port))
        except Exception as exc:  # noqa: BLE001 -- raised again in the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if not outcome:
        raise Refused(f"{host} could not be resolved in time.")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def split(url: str) -> tuple[SplitResult, int | None]:
    """The URL's parts and port, or Refused if its host is no host name (`a..b`, a label
    longer than 63 characters, an unclosed `[::1`), which the resolver's IDNA encoding would
    raise on, or its port no port (urlsplit raises only when `.port` is read)."""
    try:
        parts = urlsplit(url.strip())
        name = (parts.hostname or "").encode("idna")
    except ValueError as exc:  # UnicodeError is one
        raise Refused("The URL's host name is not valid.") from exc
    if len(name) > MAX_HOST_CHARS:
        raise Refused(f"The URL's host name is longer than {MAX_HOST_CHARS} characters.")
    try:
        return parts, parts.port
    except ValueError as exc:
        raise Refused("The URL's port is not a number between 0 and 65535.") from exc


def check_public(address: IPAddress) -> None:
    """Refused unless `address`, and any IPv4 address it carries inside, is global unicast."""
    for candidate in (address, *embedded_ipv4(address)):
        if not candidate.is_global or candidate.is_multicast:
            raise Refused(f"The URL leads to {address}, which is not a public internet address.")


def embedded_ipv4(address: IPAddress) -> Iterable[ipaddress.IPv4Address]:
    if address.version == 4:
        return ()
    inside = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in prefix for prefix in (*NAT64, IPV4_COMPATIBLE)):
        inside.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in inside if a is not None]


def policy_for(config) -> Policy:
    """The app's policy: its allowlist; in development plain http too, and refusals that
    name the allowlist entry to add; its resolver (the system's unless OUTBOUND_RESOLVER
    gives another)."""
    development = config["SITEPACK_ENV"] == "development"
    return Policy(
        allowlist=tuple(Allowed.parse(entry) for entry in config[ALLOWLIST_SETTING]),
        require_https=not development,
        hint_setting=ALLOWLIST_SETTING if development else None,
        resolver=config.get("OUTBOUND_RESOLVER") or system_resolver,
    )
