"""What the API's tests do: call /api/v1 with a key, and check a problem document."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests

from tests import factories
from tests.servers import serving


@dataclass
class Caller:
    """A program calling /api/v1 with one key: `caller.get(path)` and so on."""

    client: object
    secret: str

    def open(self, path: str, method: str = "GET", **kwargs):
        headers = {**factories.bearer(self.secret), **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs):
        return self.open(path, "POST", **kwargs)

    def put(self, path: str, **kwargs):
        return self.open(path, "PUT", **kwargs)


def assert_problem(response, status: int, slug: str) -> dict:
    """An RFC 9457 problem document of this status and type; answers its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].endswith(f"/api/v1/reference#problem-{slug}")
    assert body["title"] and body["detail"]
    return body


def at_once(app, count: int, method: str, path: str, headers: dict, **kwargs) -> list:
    """`count` identical requests to the app served over HTTP, released together by a
    barrier so that they race; answers their responses."""
    barrier, answers = threading.Barrier(count), []

    def send(url: str) -> None:
        barrier.wait()
        answers.append(requests.request(method, url + path, headers=headers, timeout=30, **kwargs))

    with serving(app) as url:
        threads = [threading.Thread(target=send, args=(url,)) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return answers
