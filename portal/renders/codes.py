"""The short code of a record version, printed with its QR code in every record PDF's footer.

`/v/<code>` names one record version, so the code must be the same every time that version is
rendered (the PDF stays byte-reproducible) and must not be guessable from ids that count up:
it is an HMAC of the organisation, record and version under VERIFY_CODE_KEY (SECRET_KEY when
unset). 16 base32 characters carry 80 bits: nobody walks the space to learn what exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from flask import current_app

from portal import urls

CODE = re.compile(r"[a-z2-7]{16}")


def code_for(organization_id: int, record_id: int, version: int) -> str:
    key = (current_app.config["VERIFY_CODE_KEY"] or current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{organization_id}/{record_id}/{version}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()[:10]).decode().lower()


def verify_url(organization_id: int, record_id: int, version: int) -> str:
    """What the QR code holds and the footer prints: the version's page on PUBLIC_BASE_URL."""
    return urls.record_version(code_for(organization_id, record_id, version))
