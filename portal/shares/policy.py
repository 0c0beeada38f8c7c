"""An organisation's rule on external shares: on or off, and to which email domains.

Read when a share is made and again each time its link is used, so turning sharing off (or
dropping a domain) stops the links already sent as well."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.models import SharingPolicy

# A domain as people write it in an address: labels of letters, digits and hyphens.
DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
MAX_DOMAINS = 50
SHARING_OFF = "Your organisation has turned external sharing off."


class PolicyError(ValueError):
    """The domains an admin typed could not be saved; the message says which line."""


def of(organization_id: int) -> SharingPolicy:
    """The organisation's policy; without a row, sharing is on for any domain (unsaved)."""
    found = db.session.get(SharingPolicy, organization_id)
    return found or SharingPolicy(organization_id=organization_id, enabled=True, domains="")


def domains(policy: SharingPolicy) -> list[str]:
    return [line for line in policy.domains.splitlines() if line]


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].lower()


def refusal(policy: SharingPolicy, email: str) -> str | None:
    """Why `email` may not receive a share under `policy`, or None."""
    if not policy.enabled:
        return SHARING_OFF
    allowed = domains(policy)
    if allowed and domain_of(email) not in allowed:
        return f"Your organisation shares only with addresses at {', '.join(allowed)}: {email}."
    return None


def parse_domains(text: str) -> list[str]:
    """One domain a line (or separated by commas or spaces), `@` allowed in front."""
    found = []
    for word in re.split(r"[\s,;]+", text.strip().lower()):
        word = word.removeprefix("@")
        if not word:
            continue
        if not DOMAIN.fullmatch(word):
            raise PolicyError(f"“{word[:80]}” is not an email domain (such as client.example).")
        if word not in found:
            found.append(word)
    if len(found) > MAX_DOMAINS:
        raise PolicyError(f"At most {MAX_DOMAINS} domains can be listed.")
    return found


def save(organization_id: int, enabled: bool, listed: list[str]) -> SharingPolicy:
    policy = db.session.get(SharingPolicy, organization_id) or SharingPolicy(
        organization_id=organization_id
    )
    policy.enabled, policy.domains = enabled, "\n".join(listed)
    db.session.add(policy)
    db.session.commit()
    return policy
