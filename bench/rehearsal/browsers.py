"""200 browsers polling their exports' status through nginx, as the page's script does.

httpx's async client on one event loop in a thread of the harness: each browser asks every
2 s with the fragment's last ETag (a 304 while nothing changed). A poll that fails (no answer,
or a 5xx) is retried once at once, as htmx's page would on its next tick; the tally keeps the
first answer and the retried one, so a scenario can tell "retried transparently" from "an
error the person saw".
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.factories import PASSWORD
from tests.helpers import csrf_token

INTERVAL = 2.0
TIMEOUT = 15.0
AGENT = "sitepack-rehearsal/1"
ANSWERED = (200, 304)


@dataclass(frozen=True)
class Poll:
    at: float  # time.monotonic() when sent
    seconds: float
    first: int  # status of the first try; 0: no answer
    final: int  # status after the one retry (== first when none was needed)


@dataclass
class Tally:
    polls: list[Poll] = field(default_factory=list)

    def between(self, start: float, end: float) -> list[Poll]:
        return [p for p in self.polls if start <= p.at < end]

    @staticmethod
    def errors(polls: list[Poll], tolerated: tuple[int, ...] = ()) -> int:
        """Polls whose person saw an error: still failing after the retry, or anything but
        the fragment or a 304 (a redirect to the login form is a login lost); `tolerated`
        statuses aside."""
        return sum(1 for p in polls if p.final not in ANSWERED + tolerated)

    @staticmethod
    def count(polls: list[Poll], status: int) -> int:
        return sum(1 for p in polls if p.final == status)

    @staticmethod
    def retried(polls: list[Poll]) -> int:
        return sum(1 for p in polls if p.first == 0 or p.first >= 500)


def login(base: str, email: str) -> str:
    """The session cookie of `email`, logged in through the real form, through nginx."""
    with httpx.Client(base_url=base, timeout=30, headers={"User-Agent": AGENT}) as client:
        page = client.get("/login")
        answer = client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": csrf_token(page.text)})  # fmt: skip
        if answer.status_code != 302:
            raise SystemExit(f"login of {email} through nginx answered {answer.status_code}")
        return client.cookies["session"]


class Browsers(threading.Thread):
    """`clients` browsers; browser i polls paths[i % len(paths)] with cookies[i % len]."""

    def __init__(self, base: str, paths: list[str], cookies: list[str], clients: int):
        super().__init__(daemon=True)
        self.base, self.paths, self.cookies, self.clients = base, paths, cookies, clients
        self.tally = Tally()
        self._halt = threading.Event()

    def run(self) -> None:
        asyncio.run(self._all())

    def stop(self) -> Tally:
        self._halt.set()
        self.join()
        return self.tally

    async def _all(self) -> None:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        # Each browser sends its own cookie: the shared client must keep none of its own.
        keep_none = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        async with httpx.AsyncClient(
            base_url=self.base, timeout=TIMEOUT, limits=limits, cookies=keep_none
        ) as client:
            await asyncio.gather(*(self._browser(client, i) for i in range(self.clients)))

    async def _browser(self, client: httpx.AsyncClient, i: int) -> None:
        path, cookie = self.paths[i % len(self.paths)], self.cookies[i % len(self.cookies)]
        headers = {"User-Agent": AGENT, "HX-Request": "true", "Cookie": f"session={cookie}"}
        await asyncio.sleep(INTERVAL * i / self.clients)
        tag = None
        while not self._halt.is_set():
            started = time.monotonic()
            first, tag = await self._poll(client, path, headers, tag)
            final = first
            if first == 0 or first >= 500:
                final, tag = await self._poll(client, path, headers, tag)
            self.tally.polls.append(Poll(started, time.monotonic() - started, first, final))
            await asyncio.sleep(max(0.0, started + INTERVAL - time.monotonic()))

    @staticmethod
    async def _poll(client, path, headers, tag) -> tuple[int, str | None]:
        sent = {**headers, **({"If-None-Match": tag} if tag else {})}
        try:
            answer = await client.get(path, headers=sent)
        except httpx.HTTPError:
            return 0, tag
        return answer.status_code, answer.headers.get("etag", tag)
