"""The secrets of a share: the link's token and the optional passcode. Only their hashes are
stored; the plain values exist in the request that makes them and in the recipient's email."""

from __future__ import annotations

import hashlib
import re
import secrets

# secrets.token_urlsafe(32): 43 url-safe characters, 256 bits.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# No 0/O or 1/I: a passcode is read from one email and typed into a page.
PASSCODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSCODE_LENGTH = 8


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The token's sha256: a high-entropy secret needs no slow hash, and a lookup by digest
    takes the same time whether a row matches or not."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return isinstance(token, str) and TOKEN.fullmatch(token) is not None


def new_passcode() -> str:
    """Eight characters shown as two groups of four ("K7PM-2QXD")."""
    code = "".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(PASSCODE_LENGTH))
    return f"{code[:4]}-{code[4:]}"


def normal_passcode(typed: str) -> str:
    """What the recipient typed, as stored: case, spaces and the hyphen do not matter."""
    return re.sub(r"[\s-]", "", typed or "").upper()
