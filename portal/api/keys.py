"""API keys: their format, how they are stored, found, used and revoked.

A key is `sp_` + 32 random bytes (url-safe base64). The database keeps its first characters
(`prefix`, unique) to find the row, and a SHA-256 of the whole secret to check it. A fast hash
is right here: the secret carries 256 bits of randomness, so there is nothing to guess, and
the check runs on every API request (a password hash such as argon2 would cost tens of
milliseconds each time). Plain SHA-256 rather than an HMAC with SECRET_KEY, so rotating the
app's secret does not invalidate every integrator's key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from portal.extensions import db
from portal.models import ApiKey, KeyScope, User, utcnow
from portal.models.lengths import API_KEY_NAME_MAX

SECRET_PREFIX = "sp_"
SECRET_BYTES = 32
# Characters of the secret after `sp_` kept in clear to find the row: 72 bits, so two keys
# never share one in practice (the unique constraint would refuse it if they did).
LOOKUP_CHARS = 12
SECRET = re.compile(r"sp_[A-Za-z0-9_-]{43}")
# Last use is written at most this often per key, so a busy integrator's every request
# does not become a database write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lookup_prefix(secret: str) -> str:
    return secret[: len(SECRET_PREFIX) + LOOKUP_CHARS]


def issue(
    user: User,
    name: str,
    scope: KeyScope,
    expires_at: datetime | None,
    form_token: str | None = None,
) -> IssuedKey:
    """A new key for `user` (the caller commits); its secret exists only in the answer.
    `form_token` is the one-time token of the form that asked for it (portal/formtokens.py)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    key = ApiKey(
        organization_id=user.organization_id,
        user_id=user.id,
        name=" ".join(name.split())[:API_KEY_NAME_MAX],
        scope=scope,
        prefix=lookup_prefix(secret),
        secret_hash=digest(secret),
        expires_at=expires_at,
        form_token=form_token,
    )
    db.session.add(key)
    db.session.flush()
    return IssuedKey(key, secret)


def is_usable(key: ApiKey, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def authenticate(secret: str) -> ApiKey | None:
    """The usable key this secret belongs to, else None (unknown, wrong, revoked, expired)."""
    if not SECRET.fullmatch(secret):
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == lookup_prefix(secret)))
    if key is None or not hmac.compare_digest(key.secret_hash, digest(secret)):
        return None
    return key if is_usable(key) else None


def record_use(key: ApiKey, address: str) -> None:
    """Remember when and from where the key was last used, at most once a minute. The row
    was just read: when it says so already, no write is sent (a client polling every 2 s
    would otherwise cost a write and a commit a call)."""
    now = utcnow()
    fresh = key.last_used_at is not None and key.last_used_at >= now - LAST_USED_RESOLUTION
    if fresh and key.last_used_ip == address:
        return
    db.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(
                ApiKey.last_used_at.is_(None),
                ApiKey.last_used_at < now - LAST_USED_RESOLUTION,
                ApiKey.last_used_ip != address,
            ),
        )
        .values(last_used_at=now, last_used_ip=address[:64])
    )
    db.session.commit()


def visible_keys(user: User) -> list[ApiKey]:
    """A member sees their own keys; an org admin sees every key of the organisation."""
    query = select(ApiKey).where(ApiKey.organization_id == user.organization_id)
    if not user.is_admin:
        query = query.where(ApiKey.user_id == user.id)
    return list(db.session.scalars(query.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def may_revoke(key: ApiKey, user: User) -> bool:
    if key.organization_id != user.organization_id:
        return False
    return key.user_id == user.id or user.is_admin


def revoke(key: ApiKey, by: User) -> bool:
    """Revoke at once (the next request with it answers 401); False if it already was."""
    changed = db.session.execute(
        update(ApiKey)
        .where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=by.id)
    ).rowcount
    db.session.commit()
    return bool(changed)
