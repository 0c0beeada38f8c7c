"""gunicorn.conf.py: the production `web` process's settings, as gunicorn itself reads them."""

import multiprocessing
import runpy
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from gunicorn.config import Config

from tests.polling import wait_until
from tests.servers import free_port, port_open, stop_process

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "gunicorn.conf.py"
GUNICORN_ENV = ("BIND_HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS")


def load(monkeypatch, **env) -> dict:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("_")}


def test_defaults_bind_loopback_with_a_worker_per_half_core(monkeypatch):
    settings = load(monkeypatch)
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert settings["worker_class"] == "gthread"
    assert settings["accesslog"] == "-"


def test_environment_sets_bind_workers_and_trusted_proxies(monkeypatch):
    settings = load(
        monkeypatch,
        BIND_HOST="0.0.0.0",
        PORT="9000",
        WEB_CONCURRENCY="3",
        FORWARDED_ALLOW_IPS="10.0.0.0/8",
    )
    assert settings["bind"] == ["0.0.0.0:9000"]
    assert settings["workers"] == 3
    assert settings["forwarded_allow_ips"] == "10.0.0.0/8"


def test_every_name_is_a_gunicorn_setting_and_the_control_socket_is_off(monkeypatch):
    """A misspelt setting is silently ignored by gunicorn; here it fails."""
    config = Config()
    for name, value in load(monkeypatch).items():
        if name in ("multiprocessing", "os"):
            continue
        assert name in config.settings, f"{name} is not a gunicorn setting"
        config.set(name, value)
    assert config.control_socket_disable is True


@pytest.mark.timeout(180)
def test_procfile_web_command_serves_the_login_page(sitepack_env, tmp_path):
    port = free_port()
    env = {
        **sitepack_env,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
        "PATH": str(Path(sys.executable).parent),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: port_open(port) or process.poll() is not None, timeout=60)
        # The master opens the port before its worker has imported the app, which a loaded
        # machine takes many seconds to do: the first answer waits for that (seen at 10 s).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=90) as response:
            assert response.status == 200
            assert 'name="csrf_token"' in response.read().decode()
        assert not list(tmp_path.rglob("gunicorn.ctl")), "gunicorn opened a control socket"
    finally:
        stop_process(process)
    assert "Control socket" not in (tmp_path / "gunicorn.log").read_text()


def test_the_access_log_keeps_every_request_but_one_in_100_status_polls(monkeypatch):
    """portal/accesslog.py: writing each poll's line cost as much CPU as answering it."""
    config = Config()
    for name, value in load(monkeypatch).items():
        if name not in ("multiprocessing", "os"):
            config.set(name, value)
    logger = config.logger_class(config)
    status = "/exports/AbCdEfGh12345678/status"
    logged = [not logger.sampled_out(304, status) for _ in range(300)]
    assert sum(logged) == 3
    assert sum(not logger.sampled_out(200, status) for _ in range(100)) == 1
    assert not any(logger.sampled_out(code, status) for code in (401, 404, 500))
    assert not any(logger.sampled_out(304, path) for path in ("/exports", "/static/app.css"))
