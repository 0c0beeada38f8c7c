"""The laptop's SMTP server: accepts every message on loopback and files it for /dev/mail.

Run by `make run` (Procfile.dev) as `python -m portal.devmail.sink` on 127.0.0.1. Port and folder
default to the app's own settings (MAIL_PORT, DEV_MAIL_DIR), so the sink listens
exactly where the app sends.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from portal import config as settings
from portal.devmail import mailbox


class MailFolderHandler:
    """aiosmtpd handler: every accepted message becomes one file."""

    def __init__(self, folder: Path):
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        mailbox.store(self.folder, envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
        return "250 Message accepted for delivery"


async def serve(folder: Path, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM (honcho stops its processes with SIGTERM). The signals
    are taken before the port opens: whoever sees it open may stop the sink at once."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    handler = MailFolderHandler(folder)
    server = await loop.create_server(lambda: SMTP(handler), host, port)
    print(f"Mail sink on smtp://{host}:{port}, filing messages in {folder}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    config = settings.from_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=config["MAIL_PORT"])
    parser.add_argument("--dir", type=Path, default=Path(config["DEV_MAIL_DIR"]))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.dir, args.host, args.port))


if __name__ == "__main__":
    main()
