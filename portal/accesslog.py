"""gunicorn's access log, with the status polls sampled (gunicorn.conf.py's logger_class).

A thousand people watching exports make 500 status polls a second, nearly all of them
unchanged (a 304 of no body). gunicorn's access log formats and writes each request in
Python, under a lock: about as much CPU as answering such a poll (bench/poll_bench.py).
So of the status route's successful answers (200 and 304) one in SAMPLE is logged, each
standing for SAMPLE; every other request, and every status poll that failed, is logged
as before, in gunicorn's own format.
"""

from __future__ import annotations

import itertools

from gunicorn.glogging import Logger

from portal.exports.poll import STATUS_PATH

SAMPLE = 100


class SampledPolls(Logger):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.polls = itertools.count()  # next() is atomic under the GIL: no lock needed

    def access(self, resp, req, environ, request_time):
        if self.sampled_out(resp.status_code, req.path or ""):
            return
        super().access(resp, req, environ, request_time)

    def sampled_out(self, status: int | None, path: str) -> bool:
        return (
            status in (200, 304)
            and bool(STATUS_PATH.fullmatch(path))
            and bool(next(self.polls) % SAMPLE)
        )
