"""The files that start Sitepack: the Procfiles, .env.example and the scripts' probes
(the Makefile and CI are run in tests/infra/test_makefile.py)."""

import ast
import re
import subprocess
from pathlib import Path

import pytest

from scripts import services
from tests.helpers import procfile

ROOT = Path(__file__).resolve().parents[2]


def test_production_procfile_runs_gunicorn_the_worker_and_migrations_on_release():
    processes = procfile("Procfile")
    assert processes == {
        "web": "gunicorn -c gunicorn.conf.py wsgi:app",
        "worker": "python -m jobs.worker",
        "worker-fast": "python -m jobs.worker --queues mail exports-small",
        "release": "flask --app wsgi db upgrade && flask --app wsgi storage ensure",
        "scheduler": "flask --app wsgi schedules run",
    }


def test_dev_procfile_runs_every_service_on_loopback():
    processes = procfile("Procfile.dev")
    assert set(processes) == {"redis", "s3", "mail", "worker", "worker-fast", "scheduler", "web"}
    assert "--bind 127.0.0.1" in processes["redis"]
    assert "--addr 127.0.0.1:9100" in processes["s3"]
    assert processes["worker"].endswith("exec python -m jobs.worker")
    assert processes["worker-fast"].endswith("--queues mail exports-small")
    assert processes["scheduler"].endswith("exec flask --app wsgi schedules run")
    assert "scripts.dev_setup" in processes["web"] and "--host 127.0.0.1" in processes["web"]


def config_variables() -> set[str]:
    """Names passed to config.py's readers (env, _int, _bool, ...), whatever their signature."""
    tree = ast.parse((ROOT / "portal" / "config.py").read_text())
    readers = {"env", "_int", "_ints", "_bool"}
    return {
        arg.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in readers
        for arg in node.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.isupper()
    }


def test_env_example_documents_every_setting_the_app_and_gunicorn_read():
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    gunicorn = {"BIND_HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS"}
    assert len(config_variables()) > 20
    assert config_variables() | gunicorn <= documented


def test_env_example_values_load_in_the_shell_as_make_run_reads_them():
    script = "set -a; . ./.env.example; set +a; printf '%s' \"$MAIL_DEFAULT_SENDER\""
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Sitepack <no-reply@sitepack.local>"


@pytest.mark.parametrize("script", ["run.sh", "test.sh", "system_packages.sh"])
def test_shell_scripts_parse(script):
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)]).returncode == 0


def test_redis_probe_tells_a_live_server_from_a_closed_port(redis_url):
    assert services.redis_answers(redis_url)
    assert not services.redis_answers(f"redis://127.0.0.1:{services.free_port()}/0")


def test_s3_probe_counts_an_access_denied_answer_as_up(s3_endpoint):
    assert services.s3_answers(s3_endpoint.url)
    assert not services.s3_answers(f"http://127.0.0.1:{services.free_port()}")
