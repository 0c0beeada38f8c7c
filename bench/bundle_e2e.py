"""The bundle bench's end-to-end row: the small batch's files as a portal bundle is made,
by a real worker (`python -m jobs.worker`) from a committed row to the zip in rclone's S3 and
the ready email: what the fetcher rows leave out (the database, RQ, the multipart upload).

Run by `python -m bench.bundle_bench --end-to-end`, against its file servers. Worker CPU is
the worker tree's, start-up excluded (bench/engine_lab.py's Lab); rclone's is shown apart.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import export_seed
from bench.engine_lab import Fleet, Lab, Run
from portal.exports import service
from portal.exports.options import LinkIn
from portal.extensions import db
from portal.storage import client as s3
from tests import factories
from tests.servers import MailSink, RcloneS3, RedisServer


def end_to_end(ports: list[int], count: int, size: int) -> Run:
    """One bundle of `count` files of `size` bytes, spread over the servers at `ports`."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sitepack-bundle-")))
        rclone = RcloneS3()
        endpoint = stack.enter_context(rclone)
        env = export_seed.environment(tmp, endpoint, stack.enter_context(RedisServer()))
        mail = stack.enter_context(MailSink())
        env.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(mail.port),
            OUTBOUND_ALLOWLIST=",".join(f"127.0.0.1:{port}" for port in ports),
            BUNDLE_MAX_URLS=str(count),
        )
        stack.enter_context(export_seed.app_for(env).app_context())
        db.create_all()
        s3.ensure_bucket()
        member = factories.two_organisations().member_a
        links = [
            LinkIn(f"http://127.0.0.1:{ports[n % len(ports)]}/e2e/{n}?size={size}")
            for n in range(count)
        ]
        lab = Lab(tmp, env, rclone.proc.pid)
        return lab.run(
            Fleet(), lambda: service.request_bundle(member, None, "Bench", links).export.id, count
        )
