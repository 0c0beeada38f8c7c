"""Is a backing service up yet, and which Redis does `make run` use? Small probes the
Makefile's scripts and Procfile.dev share.

    python -m scripts.services redis-answers URL   exit 0 when Redis at URL answers PING
    python -m scripts.services redis-choice        print REDIS_URL, and REDIS_PORT if it must start
    python -m scripts.services wait                wait for REDIS_URL and S3_ENDPOINT_URL
    python -m scripts.services free-port           print a free TCP port on 127.0.0.1

Processes started together by honcho race each other; waiting here keeps a worker or the
web app from dying because Redis or S3 needed another half second.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import redis

from portal import config as settings

WAIT_SECONDS = 60
# `make run`'s own Redis (Procfile.dev `redis`): this port unless taken, its data in var/redis.
OWN_REDIS_PORT = 6380
OWN_REDIS_DIR = settings.INSTANCE_DIR.parent / "var" / "redis"


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def own_redis(url: str, data_dir: Path = OWN_REDIS_DIR) -> bool:
    """Redis at url keeps its data in data_dir: it is `make run`'s own, not somebody else's."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        return Path(client.config_get("dir")["dir"]) == data_dir.resolve()
    except (redis.RedisError, OSError, KeyError):
        return False


@dataclass(frozen=True)
class RedisChoice:
    url: str
    port: int | None  # the port to start make run's own on; None when it need not start


def choose_redis(
    environ: Mapping[str, str], port: int = OWN_REDIS_PORT, data_dir: Path = OWN_REDIS_DIR
) -> RedisChoice:
    """A REDIS_URL set in the environment (or .env) is used as it is; otherwise `make run`
    starts its own, so its job keys never land in a Redis that other work uses. One left
    running by an earlier run is used again: two servers must not share one data folder."""
    if explicit := environ.get("REDIS_URL"):
        if not redis_answers(explicit):
            raise SystemExit(
                f"REDIS_URL={explicit} does not answer: start that Redis, "
                "or unset REDIS_URL and make run starts its own in var/redis"
            )
        return RedisChoice(explicit, None)
    url = f"redis://127.0.0.1:{port}/0"
    if own_redis(url, data_dir):
        return RedisChoice(url, None)
    if port_taken(port):
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
    return RedisChoice(url, port)


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def s3_answers(url: str) -> bool:
    """Any HTTP answer, even 403 to an unsigned request, means the endpoint is serving."""
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


def wait_for(name: str, probe, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not answer within {timeout:.0f}s")
        time.sleep(0.2)


def wait_for_services() -> None:
    """Redis and the S3 endpoint named by the same settings the app reads."""
    config = settings.from_environment()
    redis_url, s3_url = config["REDIS_URL"], config["S3_ENDPOINT_URL"]
    wait_for(f"Redis at {redis_url}", lambda: redis_answers(redis_url))
    if s3_url:
        wait_for(f"S3 at {s3_url}", lambda: s3_answers(s3_url))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str]) -> int:
    match argv:
        case ["redis-answers", url]:
            return 0 if redis_answers(url) else 1
        case ["redis-choice"]:
            choice = choose_redis(os.environ)
            print(f"REDIS_URL={shlex.quote(choice.url)}")
            print(f"REDIS_PORT={choice.port or ''}")
            return 0
        case ["wait"]:
            wait_for_services()
            return 0
        case ["free-port"]:
            print(free_port())
            return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
