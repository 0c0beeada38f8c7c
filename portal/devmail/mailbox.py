"""The mail folder: one `.eml` file per captured message, shared by the sink and /dev/mail.

A plain folder of files (rather than memory) lets the sink, the web process and a person with
a text editor all see the same mails, and lets a test drop a message in by hand.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from itertools import islice
from pathlib import Path

SUFFIX = ".eml"
MAIL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
LIST_LIMIT = 200
# Every header that names a recipient; the envelope's also holds Bcc.
RECIPIENT_HEADERS = ("To", "Cc", "X-Envelope-To")


@dataclass(frozen=True)
class Mail:
    id: str
    sender: str
    recipients: str
    subject: str
    date: datetime
    # Every recipient's address, lower-cased: who may read the mail on /dev/mail.
    addressed_to: frozenset[str] = frozenset()
    text: str | None = None
    html: str | None = None
    attachments: list[str] = field(default_factory=list)
    # Content-ID → data: URI of each image sent inline (an organisation's logo), so the HTML
    # part's `cid:` images show as a mail client shows them.
    inline_images: dict[str, str] = field(default_factory=dict)


def store(folder: Path, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
    """Write atomically (temp file, then rename) so a reader never sees half a message."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}{SUFFIX}"
    envelope = f"X-Envelope-From: {mail_from}\r\nX-Envelope-To: {', '.join(rcpt_tos)}\r\n"
    temp = folder / f".{name}.tmp"
    temp.write_bytes(envelope.encode() + content)
    os.replace(temp, folder / name)
    return folder / name


def list_mails(
    folder: Path, limit: int = LIST_LIMIT, shown: Callable[[Mail], bool] = lambda mail: True
) -> list[Mail]:
    """Newest received first, only those `shown` allows; headers only, so a long list stays
    quick."""
    if not folder.is_dir():
        return []
    paths = [p for p in folder.iterdir() if _is_mail(p.name) and p.is_file()]
    paths.sort(key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    mails = (_summary(path, _parse(path, headers_only=True)) for path in paths)
    return list(islice(filter(shown, mails), limit))


def read_mail(folder: Path, mail_id: str) -> Mail | None:
    """None for an id that is malformed or names no mail, so a bad URL is a plain 404."""
    if not MAIL_ID.fullmatch(mail_id):
        return None
    path = folder / f"{mail_id}{SUFFIX}"
    if not path.is_file():
        return None
    message = _parse(path, headers_only=False)
    summary = _summary(path, message)
    return replace(
        summary,
        text=_body(message, "plain"),
        html=_body(message, "html"),
        attachments=[part.get_filename() or "(unnamed)" for part in message.iter_attachments()],
        inline_images=_inline_images(message),
    )


def _inline_images(message: EmailMessage) -> dict[str, str]:
    images = {}
    for part in message.iter_attachments():
        cid = str(part.get("Content-ID", "")).strip("<> ")
        if cid and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            images[cid] = f"data:{part.get_content_type()};base64,{data}"
    return images


def _is_mail(name: str) -> bool:
    return name.endswith(SUFFIX) and MAIL_ID.fullmatch(name[: -len(SUFFIX)]) is not None


def _parse(path: Path, headers_only: bool) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle, headersonly=headers_only)


def _summary(path: Path, message: EmailMessage) -> Mail:
    return Mail(
        id=path.name[: -len(SUFFIX)],
        sender=str(message.get("From", message.get("X-Envelope-From", ""))),
        recipients=str(message.get("To", message.get("X-Envelope-To", ""))),
        subject=str(message.get("Subject", "(no subject)")),
        date=_date(path, message),
        addressed_to=_addresses(message),
    )


def _addresses(message: EmailMessage) -> frozenset[str]:
    values = [str(value) for name in RECIPIENT_HEADERS for value in message.get_all(name, [])]
    return frozenset(address.lower() for _, address in getaddresses(values) if address)


def _date(path: Path, message: EmailMessage) -> datetime:
    """The sender's Date header when it parses, else the time the file arrived."""
    header = message.get("Date")
    sent = getattr(header, "datetime", None)
    if sent is not None:
        return sent if sent.tzinfo else sent.replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        return part.get_content()
    except (LookupError, ValueError):
        return part.get_payload(decode=True).decode("utf-8", errors="replace")
