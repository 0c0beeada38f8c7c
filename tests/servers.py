"""Real servers for the test session, each on a free 127.0.0.1 port, stopped by its fixture."""

from __future__ import annotations

import email.policy
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis
from aiosmtpd.controller import Controller
from werkzeug.serving import make_server

from tests.polling import wait_until

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


LOGS = Path(__file__).resolve().parent.parent / "test-artifacts" / "logs"


def start_process(
    args: list[str], port: int, log_name: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start a server and wait until its port answers; its output goes to
    test-artifacts/logs/<name>-<port>.log (git-ignored), kept for when something fails."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{log_name}-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until(lambda: port_open(port) or proc.poll() is not None, timeout=20)
    except TimeoutError:
        proc.kill()
        raise
    if proc.poll() is not None:
        raise RuntimeError(f"{args[0]} exited at start; see {log_path}")
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class S3Endpoint:
    url: str
    access_key: str
    secret_key: str
    root: Path | None = None  # where a local endpoint keeps its buckets, if it is on disk


class RcloneS3:
    """rclone's `serve s3`: a real S3-protocol server that verifies SigV4 and presigned expiry.

    Given a folder and a port (of an earlier one), it serves that folder again there, as a
    restarted endpoint would, and leaves the folder in place when it stops."""

    access_key = "sitepack-test-key"
    secret_key = "sitepack-test-secret-0123456789"

    def __init__(self, root: Path | None = None, port: int | None = None):
        self.given_root, self.port = root, port

    def __enter__(self) -> S3Endpoint:
        self.root = self.given_root or Path(tempfile.mkdtemp(prefix="sitepack-s3-"))
        port = self.port or free_port()
        args = [
            str(VENV_BIN / "rclone"),
            "serve",
            "s3",
            str(self.root),
            "--addr",
            f"127.0.0.1:{port}",
            "--auth-key",
            f"{self.access_key},{self.secret_key}",
            "--config",
            "/dev/null",
        ]
        self.proc = start_process(args, port, "rclone")
        return S3Endpoint(f"http://127.0.0.1:{port}", self.access_key, self.secret_key, self.root)

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)
        if not self.given_root:
            shutil.rmtree(self.root, ignore_errors=True)


class FlakyS3:
    """An rclone endpoint a test takes down and brings back (on the same port, serving the
    same folder) as an S3 outage would; `endpoint` stays valid across the restarts."""

    def __init__(self, root: Path):
        root.mkdir()
        self.server = RcloneS3(root, free_port())
        self.endpoint = self.up()

    def up(self) -> S3Endpoint:
        return self.server.__enter__()

    def down(self) -> None:
        stop_process(self.server.proc)

    def close(self) -> None:
        if self.server.proc.poll() is None:
            self.down()


class MotoServer:
    """moto's server, for the S3 APIs rclone lacks (lifecycle, encryption) and CloudFront."""

    def __enter__(self) -> S3Endpoint:
        port = free_port()
        args = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
        self.proc = start_process(args, port, "moto")
        return S3Endpoint(f"http://127.0.0.1:{port}", "testing", "testing")

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)


class RedisServer:
    """A private redis-server for this test session, so parallel runs never flush each other.

    Without the binary, the Redis on TEST_REDIS_URL (default db 15 on 127.0.0.1) is used.
    Outage tests `stop()` their own one and `start()` it again on the same port, empty.
    """

    def __enter__(self) -> str:
        self.proc = None
        binary = shutil.which("redis-server")
        if binary is None:
            url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return url
        self.binary, self.port = binary, free_port()
        self.start()
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            self.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.proc = start_process(args, self.port, "redis")

    def stop(self) -> None:
        stop_process(self.proc)

    def __exit__(self, *exc) -> None:
        if self.proc:
            stop_process(self.proc)


@dataclass
class MailSink:
    """An aiosmtpd server on loopback that keeps every message it receives."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        # The default policy decodes headers: a subject with an export's title in it reads
        # as typed, not as RFC 2047's base64.
        message = message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def __enter__(self) -> MailSink:
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def wait_for_mail(sink: MailSink, count: int, timeout: float = 30) -> list[Message]:
    wait_until(lambda: len(sink.messages) >= count, timeout=timeout)
    return list(sink.messages)


def text_body(message: Message) -> str:
    """The text/plain part of a (possibly multipart) message."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("message has no text/plain part")


class Gunicorn:
    """The app as production serves it (`gunicorn -c gunicorn.conf.py wsgi:app`, the Procfile's
    `web`), configured by `env` as the worker processes are, on a free loopback port."""

    def __init__(self, env: dict[str, str], workers: int = 2):
        self.env, self.workers = env, workers

    def __enter__(self) -> str:
        port = free_port()
        env = {
            **os.environ,
            **self.env,
            "BIND_HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(self.workers),
        }
        root = Path(__file__).resolve().parent.parent
        args = [str(VENV_BIN / "gunicorn"), "-c", str(root / "gunicorn.conf.py"), "wsgi:app"]
        self.proc = start_process(args, port, "gunicorn", env={**env, "PYTHONPATH": str(root)})
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        stop_process(self.proc)


@contextmanager
def serving(app, port: int = 0) -> Iterator[str]:
    """The app over HTTP on a loopback port (a free one unless given), in a thread, for the
    browser tests."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on a free 127.0.0.1 port that keeps every request it gets and answers
    with `status`, `body` and `headers` (each may be changed while it runs), after `delay`
    seconds. A webhook receiver, a trap that counts hits, or a redirector."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    # (certificate, key) files: serve https with them, noting each client's SNI name.
    tls: tuple[Path, Path] | None = None
    server_names: list[str | None] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(self.command, self.path, headers, body))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)  # an answer that is slow on purpose
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            do_GET = do_POST = do_any  # noqa: N815 (http.server's names)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls:
            self.server.socket = self._tls_context().wrap_socket(
                self.server.socket, server_side=True
            )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.tls)
        context.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
        return context

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def self_signed_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` that is its own CA (openssl), with its key."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}"]
        + ["-addext", f"subjectAltName=DNS:{name}"],
        check=True,
        capture_output=True,
    )
    return cert, key
