"""Failed logins: brute force is stopped without handing anyone a way to lock a user out.

Three counters of failed passwords, kept in Redis (so every web process sees them), each with
its limit in config:

- per client address, across accounts (`LOGIN_RATE_LIMIT`): one address guessing many
  accounts, or one account many times, is refused;
- per account and address (`LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT`): an address that keeps getting
  one account's password wrong is refused for that account, and only that address is;
- per account, from any address (`LOGIN_ACCOUNT_RATE_LIMIT`, well above the previous one): past
  it the account is slowed, not closed. An address with a recent failure on the account is
  refused until the window passes; an address with none still has its password checked, so
  the owner logs in from their own network while a spray runs elsewhere, and each address of
  a distributed spray gets one guess per window instead of several.

Only a password checked and refused counts: an office behind one address is never limited by
its own successes. A success clears the account-and-address count (the owner's own typos are
forgiven), never the account's: an attacker cannot reset it by logging in to nothing. An
unknown email is counted like a real one, so a refusal says nothing about which accounts exist.
If Redis is unreachable the limits lapse rather than locking everyone out.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse
from redis.exceptions import RedisError
from werkzeug.exceptions import TooManyRequests

from portal.extensions import limiter

ADDRESS_LIMITED = "Too many failed logins from your network. Wait a minute, then try again."
ACCOUNT_LIMITED = (
    "Too many failed logins to this account from your network. Wait a few minutes, then try "
    "again (or ask your organisation's admin to check your password)."
)


@dataclass(frozen=True)
class Counter:
    """One count of failed logins: its limit's setting and whose failures it counts."""

    setting: str
    identifiers: tuple[str, ...]

    @property
    def limit(self) -> RateLimitItem:
        return parse(current_app.config[self.setting])

    def failures(self) -> int:
        stats = limiter.limiter.get_window_stats(self.limit, *self.identifiers)
        return self.limit.amount - stats.remaining

    def exhausted(self) -> bool:
        return not limiter.limiter.test(self.limit, *self.identifiers)

    def seconds_left(self) -> int:
        reset = limiter.limiter.get_window_stats(self.limit, *self.identifiers).reset_time
        return max(1, math.ceil(reset - time.time()))


@dataclass(frozen=True)
class Attempt:
    """The counters one login attempt reads and adds to."""

    address: Counter
    pair: Counter
    account: Counter

    @classmethod
    def of(cls, email: str, address: str) -> Attempt:
        account = _digest(email)
        return cls(
            address=Counter("LOGIN_RATE_LIMIT", ("login-address", address)),
            pair=Counter("LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT", ("login-pair", account, address)),
            account=Counter("LOGIN_ACCOUNT_RATE_LIMIT", ("login-account", account)),
        )


def check(email: str, address: str) -> None:
    """Raise 429 (with the seconds to wait) if this attempt may not have its password checked."""
    try:
        refusal = _refusal(Attempt.of(email, address))
    except RedisError:
        current_app.logger.warning("login limits not checked: Redis unreachable")
        return
    if refusal:
        message, seconds = refusal
        raise TooManyRequests(message, retry_after=seconds)


def _refusal(attempt: Attempt) -> tuple[str, int] | None:
    """Why this attempt is refused and for how long (the sooner of the two windows that hold
    a slowed account's address back), or None."""
    if attempt.address.exhausted():
        return ADDRESS_LIMITED, attempt.address.seconds_left()
    if attempt.pair.exhausted():
        return ACCOUNT_LIMITED, attempt.pair.seconds_left()
    if attempt.account.exhausted() and attempt.pair.failures():
        return ACCOUNT_LIMITED, min(attempt.pair.seconds_left(), attempt.account.seconds_left())
    return None


def count_failure(email: str, address: str) -> None:
    attempt = Attempt.of(email, address)
    try:
        for counter in (attempt.address, attempt.pair, attempt.account):
            limiter.limiter.hit(counter.limit, *counter.identifiers)
    except RedisError:
        current_app.logger.warning("failed login not counted: Redis unreachable")


def forget_failures(email: str, address: str) -> None:
    """A password that passed forgives this address's failures on the account."""
    pair = Attempt.of(email, address).pair
    try:
        limiter.limiter.clear(pair.limit, *pair.identifiers)
    except RedisError:
        current_app.logger.warning("failed logins not forgotten: Redis unreachable")


def _digest(email: str) -> str:
    """The email (normalised by the caller as `authenticate` matches it), hashed to bound the
    key's length."""
    return hashlib.sha256(email.encode()).hexdigest()
