#!/usr/bin/env python3
"""Export records from Sitepack over its API, and download every zip, checking each one.

    SITEPACK_API_KEY=sp_... python examples/sitepack_client.py \\
        --base-url https://sitepack.example --project=<project id> [--kind issue] [--out exports/]

Requests an export of the project's records (all, or one kind), follows it as the API asks
(its Retry-After), then downloads each part from the short-lived link the API redirects to and
checks its SHA-256 against the one the API gave. Standard library only.

Exit status: 0 when every part was downloaded and verified; 1 when the export did not
complete or a checksum did not match; 2 for a refused request (the problem document is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, Request, build_opener

LIVE = ("pending", "processing")
CHUNK = 1024 * 1024


class NoRedirects(HTTPRedirectHandler):
    """A download's 302 leads to storage, which must not be sent the API key."""

    def redirect_request(self, *args, **kwargs):
        return None


class Api:
    def __init__(self, base_url: str, key: str):
        self.base_url, self.key = base_url.rstrip("/"), key
        self.opener = build_opener(NoRedirects)

    def call(self, method: str, url: str, body: dict | None = None, headers: dict | None = None):
        """(status, headers, parsed JSON body or None); a 3xx is an answer, not followed."""
        url = url if url.startswith("http") else self.base_url + url
        data = json.dumps(body).encode() if body is not None else None
        request = Request(
            url,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.key}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data else {}),
                **(headers or {}),
            },
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, json.loads(response.read() or b"null")
        except HTTPError as answer:
            raw = answer.read()
            parsed = (
                json.loads(raw)
                if raw and "json" in answer.headers.get("Content-Type", "")
                else None
            )
            return answer.code, answer.headers, parsed


def wait_seconds(headers, default: float = 2.0) -> float:
    try:
        return max(1.0, float(headers.get("Retry-After", default)))
    except ValueError:
        return default


def request_export(api: Api, project: str, kind: str | None) -> str:
    """POST /exports with an Idempotency-Key, so a retry after a 429 or a lost answer
    cannot make a second export; answers the export's URL."""
    body = {"project": project, "filter": {"kind": kind} if kind else {}}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    while True:
        status, answer_headers, answer = api.call("POST", "/api/v1/exports", body, headers)
        if status == 202:
            return answer_headers["Location"]
        if status in (429, 503):
            time.sleep(wait_seconds(answer_headers, 30))
            continue
        refuse(status, answer)


def follow(api: Api, url: str) -> dict:
    while True:
        status, headers, export = api.call("GET", url)
        if status != 200:
            refuse(status, export)
        print(f"{export['state']}: {export['done']}/{export['total']}", file=sys.stderr)
        if export["state"] not in LIVE:
            return export
        time.sleep(wait_seconds(headers))


def download(api: Api, part: dict, folder: Path) -> bool:
    """Fetch one part through its fresh presigned URL; True when its SHA-256 matches."""
    status, headers, problem = api.call("GET", part["download"])
    if status != 302:
        refuse(status, problem)
    target, digest = folder / part["file_name"], hashlib.sha256()
    with build_opener().open(headers["Location"], timeout=600) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    matches = digest.hexdigest() == part["sha256"]
    print(f"{target} {'verified' if matches else 'CHECKSUM MISMATCH'}")
    return matches


def refuse(status: int, problem) -> None:
    print(f"refused ({status}): {json.dumps(problem, indent=2)}", file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument(
        "--project",
        required=True,
        help="a project id from GET /api/v1/projects; give it as "
        "--project=<id>, since an id may begin with '-'",
    )
    parser.add_argument("--kind", help="only records of this kind (inspection, issue, task, ncr)")
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    key = os.environ.get("SITEPACK_API_KEY")
    if not key:
        parser.error("set SITEPACK_API_KEY to an API key (sp_...) from the portal's API keys page")
    api = Api(args.base_url, key)
    export = follow(api, request_export(api, args.project, args.kind))
    if export["state"] != "completed":
        print(
            f"export {export['id']} ended {export['state']}: {export.get('error')}", file=sys.stderr
        )
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    results = [download(api, part, args.out) for part in export["parts"]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
