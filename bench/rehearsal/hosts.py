"""What runs on each host of the rehearsal, started and stopped by the harness.

services  Redis (appendonly yes, noeviction), a private PostgreSQL cluster (initdb), rclone's
          S3 on a second address of its own (so one worker host alone can lose it), the SMTP sink
lb        Debian's nginx in front of both web hosts
web1/2    gunicorn as the Procfile starts it
w1..w3    `python -m jobs.worker`; w3 also runs the `worker-fast`
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.rehearsal import netns
from bench.rehearsal.netns import NETWORK, Host
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
NGINX_CONF = Path(__file__).with_name("nginx.conf")

SERVICES = Host("svc", f"{NETWORK}.2", extra=(f"{NETWORK}.4",))
S3_ADDRESS = f"{NETWORK}.4"
LB = Host("lb", f"{NETWORK}.3")
WEBS = (Host("web1", f"{NETWORK}.11", cpu=1), Host("web2", f"{NETWORK}.12", cpu=0))
WORKERS = (
    Host("w1", f"{NETWORK}.21", cpu=0),
    Host("w2", f"{NETWORK}.22", cpu=1),
    Host("w3", f"{NETWORK}.23", cpu=0),
)
FAST_HOST = WORKERS[2]
ALL = (SERVICES, LB, *WEBS, *WORKERS)

REDIS_PORT, PG_PORT, S3_PORT, MAIL_PORT, WEB_PORT = 6379, 5432, 9000, 2525, 8000
S3_KEY, S3_SECRET = "rehearsal-key", "rehearsal-secret-0123456789"


@dataclass
class Proc:
    """One process on one host, its output in its own log file."""

    host: Host
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                netns.command(self.host, self.argv), cwd=ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Fleet:
    """Every host's processes and folders; `env` is what every Sitepack process reads."""

    home: Path
    logs: Path
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)

    def folder(self, *parts: str, owner: str | None = None) -> Path:
        path = self.home.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        if owner:
            shutil.chown(path, owner, owner)
        return path

    def run(self, host: Host, name: str, argv: list[str], env: dict | None = None) -> Proc:
        proc = Proc(
            host, name, argv, {**os.environ, **(env or self.env)}, self.logs / f"{name}.log"
        )
        self.procs[name] = proc.start()
        return proc

    def host_env(self, host: Host) -> dict[str, str]:
        """A host's own temp folders: the check for leftover files looks in them."""
        tmp = self.folder(host.name, "tmp")
        work = self.folder(host.name, "work")
        return {**self.env, "TMPDIR": str(tmp), "EXPORT_WORK_DIR": str(work),
                "HOME": str(self.folder(host.name))}  # fmt: skip


def app_env(fleet: Fleet, overrides: dict[str, str]) -> dict[str, str]:
    svc = SERVICES.address
    return {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONUNBUFFERED": "1",
        "SITEPACK_ENV": "production",
        "SECRET_KEY": "rehearsal-secret-key",
        # The rehearsal has no TLS: nginx listens on plain HTTP on the private bridge.
        "SESSION_COOKIE_SECURE": "0",
        "DATABASE_URL": f"postgresql+psycopg://postgres@{svc}:{PG_PORT}/sitepack",
        "REDIS_URL": f"redis://{svc}:{REDIS_PORT}/0",
        "S3_ENDPOINT_URL": f"http://{S3_ADDRESS}:{S3_PORT}",
        "S3_BUCKET": "sitepack-rehearsal",
        "AWS_ACCESS_KEY_ID": S3_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_REGION": "us-east-1",
        "MAIL_SERVER": svc,
        "MAIL_PORT": str(MAIL_PORT),
        "PUBLIC_BASE_URL": f"http://{LB.address}",
        "TRUSTED_PROXY_COUNT": "1",
        "FORWARDED_ALLOW_IPS": LB.address,
        "EXPORT_RENDER_PROCESSES": "1",
        "EXPORT_MAX_RECORDS": "100000",
        "EXPORT_RATE_LIMIT": "1000 per minute",
        "WEB_CONCURRENCY": "2",
        **overrides,
    }


def start_network() -> None:
    netns.cleanup()
    netns.create_bridge()
    for host in ALL:
        netns.create_host(host)


def start_services(fleet: Fleet) -> None:
    start_redis(fleet)
    start_postgres(fleet, first=True)
    fleet.run(SERVICES, "s3", [str(VENV_BIN / "rclone"), "serve", "s3", str(fleet.folder("s3")),
              "--addr", f"{S3_ADDRESS}:{S3_PORT}", "--auth-key", f"{S3_KEY},{S3_SECRET}",
              "--config", "/dev/null"])  # fmt: skip
    fleet.run(SERVICES, "mail", [str(VENV_BIN / "python"), "-m", "portal.devmail.sink",
              "--host", SERVICES.address, "--port", str(MAIL_PORT),
              "--dir", str(fleet.folder("mail"))])  # fmt: skip
    for port, address in ((S3_PORT, S3_ADDRESS), (MAIL_PORT, SERVICES.address)):
        wait_until(lambda p=port, a=address: answers(a, p), timeout=30)


def start_redis(fleet: Fleet) -> None:
    fleet.run(SERVICES, "redis", ["redis-server", "--bind", SERVICES.address, "--port",
              str(REDIS_PORT), "--dir", str(fleet.folder("redis")), "--appendonly", "yes",
              "--save", "", "--maxmemory-policy", "noeviction",
              "--protected-mode", "no"])  # fmt: skip
    wait_until(lambda: answers(SERVICES.address, REDIS_PORT), timeout=30)


def lose_redis(fleet: Fleet) -> None:
    """Redis gone with its data: stopped, its folder emptied, started again."""
    fleet.procs["redis"].stop(signal.SIGKILL)
    shutil.rmtree(fleet.home / "redis")
    start_redis(fleet)


def restart_redis(fleet: Fleet) -> None:
    fleet.procs["redis"].stop(signal.SIGTERM)
    start_redis(fleet)


def start_postgres(fleet: Fleet, first: bool = False) -> None:
    data = fleet.home / "pg"
    if first:
        fleet.folder("pg", owner="postgres")
        as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                     "--no-instructions"], fleet.logs / "initdb.log")  # fmt: skip
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {NETWORK}.0/24 trust\n")
    sockets = fleet.folder("pgsock", owner="postgres")
    fleet.run(SERVICES, "postgres", ["runuser", "-u", "postgres", "--", str(PG_BIN / "postgres"),
              "-D", str(data), "-c", f"listen_addresses={SERVICES.address}", "-p", str(PG_PORT),
              "-c", f"unix_socket_directories={sockets}", "-c", "max_connections=200"])  # fmt: skip
    wait_until(lambda: answers(SERVICES.address, PG_PORT), timeout=60)


def restart_postgres(fleet: Fleet) -> None:
    """A fast shutdown (every session ended, as a failover or a restart does) and a start."""
    postmaster = postgres_pid(fleet)
    os.kill(postmaster, signal.SIGINT)
    wait_until(lambda: not Path(f"/proc/{postmaster}").exists(), timeout=60)
    fleet.procs["postgres"].stop()
    start_postgres(fleet)


def postgres_pid(fleet: Fleet) -> int:
    return int((fleet.home / "pg" / "postmaster.pid").read_text().split()[0])


def as_postgres(argv: list[str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, stdout=out,
                       stderr=subprocess.STDOUT, cwd="/")  # fmt: skip


def start_web(fleet: Fleet, host: Host) -> None:
    env = {**fleet.host_env(host), "BIND_HOST": host.address, "PORT": str(WEB_PORT)}
    fleet.run(host, host.name, ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], env)
    wait_until(lambda: answers(host.address, WEB_PORT), timeout=60)


def start_nginx(fleet: Fleet) -> None:
    prefix = fleet.folder("nginx")
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        fleet.folder("nginx", temp, owner="www-data")
    upstreams = "".join(f"        server {web.address}:{WEB_PORT} max_fails=1 fail_timeout=10s;\n"
                        for web in WEBS)  # fmt: skip
    text = NGINX_CONF.read_text().replace("{upstreams}", upstreams).replace("{listen}", LB.address)
    text = text.replace("{prefix}", str(prefix))
    (prefix / "nginx.conf").write_text(text)
    fleet.run(LB, "nginx", ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
              "-g", "daemon off;"])  # fmt: skip
    wait_until(lambda: answers(LB.address, 80), timeout=30)


def start_worker(fleet: Fleet, host: Host) -> None:
    env = fleet.host_env(host)
    fleet.run(host, host.name, ["python", "-m", "jobs.worker"], env)
    if host == FAST_HOST:
        fast = ["python", "-m", "jobs.worker", "--queues", "mail", "exports-small"]
        fleet.run(host, f"{host.name}-fast", fast, env)


def answers(address: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((address, port)) == 0


def release(fleet: Fleet) -> None:
    """The Procfile's `release`: migrations, then the bucket and its rules."""
    for argv in (["flask", "--app", "wsgi", "db", "upgrade"],
                 ["flask", "--app", "wsgi", "storage", "ensure"]):  # fmt: skip
        with (fleet.logs / "release.log").open("ab") as out:
            subprocess.run(argv, cwd=ROOT, env={**os.environ, **fleet.env}, check=True,
                           stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def create_database(fleet: Fleet) -> None:
    import psycopg

    url = f"host={SERVICES.address} port={PG_PORT} user=postgres dbname=postgres"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("create database sitepack")


def wait_settled(seconds: float = 1.0) -> None:
    time.sleep(seconds)
