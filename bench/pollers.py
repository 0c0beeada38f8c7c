"""Many browsers polling a status fragment, as htmx does, from one asyncio loop.

Each client holds one keep-alive connection and asks every `interval` seconds, sending the
fragment's last ETag as If-None-Match (the page's script does the same). As htmx does, a
client whose previous poll has not returned when the next is due skips that one: a skipped
poll is a person whose page fell behind. Plain HTTP/1.1 over asyncio streams, no client
library: the client shares the machine's 2 cores with the server it measures, so it must be
lean, and the server's CPU is what the bench reports.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field

TIMEOUT = 10.0  # seconds; a poll that takes longer counts as an error


@dataclass(frozen=True)
class Poll:
    sent: float  # time.monotonic()
    seconds: float
    status: int  # 0: no answer (refused, reset, timed out)


@dataclass
class Tally:
    polls: list[Poll] = field(default_factory=list)
    skipped: list[float] = field(default_factory=list)  # when each skipped poll was due


def request(port: int, path: str, cookie: str, agent: str, tag: str | None) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"User-Agent: {agent}",
        "HX-Request: true",
        f"Cookie: {cookie}",
        *([f'If-None-Match: "{tag}"'] if tag else []),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    """Status and headers (lower-case names) of one response, its body read and dropped."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    if length:
        await reader.readexactly(length)
    return status, headers


class Pollers(threading.Thread):
    """`clients` pollers of `paths` (client i polls paths[i % len]) with `cookies` (the same),
    started spread over one interval; runs in its own thread until stop()."""

    def __init__(self, port: int, paths: list[str], cookies: list[str], agent: str,
                 clients: int, interval: float = 2.0, send_tags: bool = True):  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.paths, self.cookies, self.agent = port, paths, cookies, agent
        self.clients, self.interval, self.send_tags = clients, interval, send_tags
        self.tally = Tally()
        self._stopping = False

    def run(self) -> None:
        asyncio.run(self._all())

    def stop(self) -> Tally:
        self._stopping = True
        self.join()
        return self.tally

    async def _all(self) -> None:
        start = time.monotonic()
        await asyncio.gather(*(self._client(i, start) for i in range(self.clients)))

    async def _client(self, i: int, start: float) -> None:
        path, cookie = self.paths[i % len(self.paths)], self.cookies[i % len(self.cookies)]
        due = start + random.uniform(0, self.interval)
        tag, connection = None, None
        while not self._stopping:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent = time.monotonic()
            message = request(self.port, path, cookie, self.agent, tag if self.send_tags else None)
            try:
                connection = connection or await asyncio.open_connection("127.0.0.1", self.port)
                connection[1].write(message)
                status, headers = await asyncio.wait_for(answer(connection[0]), TIMEOUT)
                tag = headers.get("etag", "").strip('"') or tag
                if headers.get("connection", "").lower() == "close":
                    connection = self._close(connection)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                status, connection = 0, self._close(connection)
            done = time.monotonic()
            self.tally.polls.append(Poll(sent, done - sent, status))
            due += self.interval
            while due < done:  # htmx drops a poll that falls due while one is under way
                self.tally.skipped.append(due)
                due += self.interval
        self._close(connection)

    @staticmethod
    def _close(connection) -> None:
        if connection is not None:
            connection[1].close()
        return None
