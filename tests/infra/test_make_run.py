"""What `make run` decides and leaves behind: its own Redis (data in var/redis) unless
REDIS_URL is set, and a .flaskenv with which the README's `flask` commands run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from scripts import dev_setup, services
from scripts.services import RedisChoice
from tests.helpers import procfile
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def flask_command(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi ...` typed in `folder` with nothing exported but what is given."""
    return subprocess.run(
        [str(FLASK), "--app", "wsgi", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
    )


def test_a_readme_command_without_settings_says_in_one_line_what_to_set(tmp_path):
    result = flask_command(tmp_path, "exports", "sweep", DATABASE_URL=f"sqlite:///{tmp_path}/x")
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: SECRET_KEY is not set")
    assert "SITEPACK_ENV=development" in line


def test_readme_commands_run_with_the_settings_make_run_left_in_flaskenv(
    tmp_path, redis_url, s3_endpoint
):
    dev_setup.write_flask_env(
        tmp_path / ".flaskenv",
        {"SITEPACK_ENV": "development", "REDIS_URL": redis_url, "HOME": "/elsewhere"},
    )
    assert "HOME" not in (tmp_path / ".flaskenv").read_text()
    elsewhere = {  # not the developer's database, bucket or S3
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "S3_ENDPOINT_URL": s3_endpoint.url,
        "AWS_ACCESS_KEY_ID": s3_endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_endpoint.secret_key,
    }
    upgrade = flask_command(tmp_path, "db", "upgrade", **elsewhere)
    assert upgrade.returncode == 0, upgrade.stderr
    sweep = flask_command(tmp_path, "exports", "sweep", **elsewhere)
    assert sweep.returncode == 0, sweep.stderr
    assert "expired: 0" in sweep.stdout
    assert "Traceback" not in sweep.stderr


def test_make_run_starts_its_own_redis_unless_redis_url_is_set(tmp_path, redis_url):
    port = services.free_port()
    data = tmp_path / "var" / "redis"
    own = services.choose_redis({}, port=port, data_dir=data)
    assert own == RedisChoice(f"redis://127.0.0.1:{port}/0", port)
    given = services.choose_redis({"REDIS_URL": redis_url}, port=port, data_dir=data)
    assert given == RedisChoice(redis_url, None)


def test_a_redis_url_that_does_not_answer_stops_make_run_with_the_fix():
    closed = f"redis://127.0.0.1:{services.free_port()}/0"
    with pytest.raises(SystemExit, match="does not answer.*unset REDIS_URL"):
        services.choose_redis({"REDIS_URL": closed})


def test_another_redis_on_the_port_moves_make_runs_own_to_a_free_one(tmp_path, redis_url):
    taken = redis.Redis.from_url(redis_url).connection_pool.connection_kwargs["port"]
    choice = services.choose_redis({}, port=taken, data_dir=tmp_path / "var" / "redis")
    assert choice.port not in (None, taken)
    assert choice.url == f"redis://127.0.0.1:{choice.port}/0"
    assert not services.port_taken(choice.port)


def test_the_choice_reaches_the_shell_as_run_sh_reads_it(redis_url):
    script = 'choice=$(python -m scripts.services redis-choice) && eval "$choice" && '
    script += 'printf "%s|%s" "$REDIS_URL" "$REDIS_PORT"'
    env = {**os.environ, "PATH": f"{FLASK.parent}:{os.environ['PATH']}", "REDIS_URL": redis_url}
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == f"{redis_url}|"


@contextmanager
def procfile_redis(folder: Path, port: int) -> Iterator[redis.Redis]:
    """Procfile.dev's `redis` line, run in `folder` as honcho runs it; stopped on exit."""
    env = {"PATH": os.environ["PATH"], "REDIS_PORT": str(port)}
    line = procfile("Procfile.dev")["redis"]
    proc = subprocess.Popen(["bash", "-c", line], cwd=folder, env=env, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until(lambda: services.redis_answers(url), timeout=20)
        yield redis.Redis.from_url(url)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_procfile_redis_keeps_its_data_in_var_and_the_next_run_finds_it(tmp_path, redis_url):
    port = services.free_port()
    url, data = f"redis://127.0.0.1:{port}/0", tmp_path / "var" / "redis"
    with procfile_redis(tmp_path, port) as client:
        assert client.config_get("bind")["bind"] == "127.0.0.1"
        assert services.own_redis(url, data) and not services.own_redis(redis_url, data)
        assert services.choose_redis({}, port=port, data_dir=data) == RedisChoice(url, None)
        client.set("rq:job:left-by-ctrl-c", "1")
    with procfile_redis(tmp_path, port) as client:
        assert client.get("rq:job:left-by-ctrl-c") == b"1"


def test_banner_says_which_redis_holds_the_jobs(tmp_path, redis_url):
    port = services.free_port()
    url, data = f"redis://127.0.0.1:{port}/0", tmp_path / "var" / "redis"
    with procfile_redis(tmp_path, port):
        own, given = dev_setup.redis_line(url, data), dev_setup.redis_line(redis_url, data)
    assert url in own and "make run's own" in own and "var/redis" in own
    assert redis_url in given and "from REDIS_URL" in given and "own" not in given
