"""Stopping `make run`: honcho sends SIGTERM to every process at once, so Redis is often gone
before a worker has finished shutting down. The worker must still exit quietly: no traceback
on its output for a developer to read through."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from rq import Worker

from tests.polling import wait_until
from tests.servers import free_port
from tests.workers import ROOT


@pytest.fixture
def sitepack_env(sitepack_env, own_redis):
    return {**sitepack_env, "REDIS_URL": own_redis.url, "RECOVERY_INTERVAL_SECONDS": "1"}


def idle(connection, pid: int | None = None) -> bool:
    """A worker (this one) waits for jobs: RQ handles SIGTERM only from then on, as it does
    after any `make run` start."""
    try:
        workers = Worker.all(connection=connection)
    except redis.ConnectionError:
        return False
    return any(w.get_state() == "idle" and pid in (None, w.pid) for w in workers)


def test_a_worker_whose_redis_stops_with_it_exits_without_a_traceback(app, worker, own_redis):
    connection = redis.Redis.from_url(own_redis.url)
    with worker() as proc:
        wait_until(lambda: idle(connection, proc.proc.pid), timeout=30)
        own_redis.proc.send_signal(signal.SIGTERM)
        proc.proc.send_signal(signal.SIGTERM)
        own_redis.proc.wait(timeout=30)
        try:
            code = proc.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker did not stop:\n{proc.output()}")
        output = proc.log_path.read_text(errors="replace")
    assert "Traceback" not in output, output
    assert code == 0, output


def test_make_runs_redis_and_worker_stopped_by_ctrl_c_print_no_traceback(
    app, sitepack_env, tmp_path
):
    """Procfile.dev's own `redis` and `worker` lines under honcho, as scripts/run.sh starts
    them, then SIGINT to honcho as Ctrl-C sends it."""
    port = free_port()
    shutil.copy(ROOT / "Procfile.dev", tmp_path / "Procfile.dev")
    env = {
        **os.environ,
        **sitepack_env,
        "REDIS_PORT": str(port),
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    log_path = tmp_path / "honcho.log"
    command = ["honcho", "--env", "/dev/null", "--procfile", "Procfile.dev", "start"]
    with log_path.open("wb") as log:
        honcho = subprocess.Popen(
            [*command, "redis", "worker"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        connection = redis.Redis.from_url(env["REDIS_URL"])
        wait_until(lambda: idle(connection), timeout=60)
        honcho.send_signal(signal.SIGINT)
        honcho.wait(timeout=60)
    finally:
        stop_all(honcho, log_path.read_text(errors="replace"))
    output = log_path.read_text(errors="replace")
    assert "redis.1 stopped" in output and "worker.1 stopped (rc=0)" in output, output
    assert "Traceback" not in output, output


def stop_all(honcho: subprocess.Popen, output: str) -> None:
    """honcho starts each process in a session of its own: stop each one it named."""
    if honcho.poll() is None:
        honcho.kill()
        honcho.wait()
    for pid in re.findall(r"started \(pid=(\d+)\)", output):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(pid), signal.SIGKILL)
