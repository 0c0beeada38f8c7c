"""Is a backing service up yet? Small probes the Makefile's scripts and Procfile.dev share.

    python -m scripts.services redis-answers URL   exit 0 when Redis at URL answers PING
    python -m scripts.services wait                wait for REDIS_URL and S3_ENDPOINT_URL
    python -m scripts.services free-port           print a free TCP port on 127.0.0.1

Processes started together by honcho race each other; waiting here keeps a worker or the
web app from dying because Redis or S3 needed another half second.
"""

from __future__ import annotations

import socket
import sys
import time
import urllib.error
import urllib.request

import redis

from portal import config as settings

WAIT_SECONDS = 60


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


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
