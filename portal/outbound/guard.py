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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
SCHEMES = {"http": 80, "https": 443}
# IPv6 prefixes whose last 32 bits are an IPv4 address that the packet ends up at.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


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
    # The whole request, from resolving to the last byte read: every socket operation gets
    # at most what is left (resolving itself is bounded by the system resolver's timeouts).
    deadline: float = 10.0
    max_bytes: int = 64 * 1024
    resolver: Resolver = field(default=system_resolver, compare=False)


@dataclass(frozen=True)
class Target:
    """A vetted URL: dial `address`:`port`, send `host` as the Host header and TLS name."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


def vet(url: str, policy: Policy) -> Target:
    """The address to dial for `url`, or Refused saying why it may not be fetched."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("Only http and https URLs can be used.")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL may not contain a user name or password.")
    if not parts.hostname:
        raise Refused("The URL has no host name.")
    try:
        port = parts.port or SCHEMES[scheme]
    except ValueError as exc:
        raise Refused("The URL's port is not a number between 0 and 65535.") from exc
    addresses = [
        ipaddress.ip_address(a.split("%")[0]) for a in policy.resolver(parts.hostname, port)
    ]
    if not addresses:
        raise Refused(f"{parts.hostname} has no address.")
    allowlisted = [a for a in addresses if any(e.admits(a, port) for e in policy.allowlist)]
    if len(allowlisted) != len(addresses):
        for address in addresses:
            check_public(address)
    if scheme == "http" and policy.require_https and not allowlisted:
        raise Refused("The URL must start with https://.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port, str(addresses[0]), path)


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
    """The app's policy: its allowlist, and https unless SITEPACK_ENV is development."""
    return Policy(
        allowlist=tuple(Allowed.parse(entry) for entry in config["OUTBOUND_ALLOWLIST"]),
        require_https=config["SITEPACK_ENV"] != "development",
    )
