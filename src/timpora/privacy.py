"""Keyed pseudonyms of personal identifiers (HMAC-SHA256 under the configured secret).

Stable across loads and machines for one key, so analysts can count and join people;
not reversible without the key, and different under another key
(``TIMPORA_PSEUDONYM_KEY``). In production no pseudonym is ever taken under a missing,
public or short key: such a key would let anyone holding the views find a person by
hashing passport numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from timpora.config import get_settings

PREFIX = "PSN-"


def secret_bytes(key: str | None = None) -> bytes:
    """The pseudonym key: the one given, or the configured one (refused when unsafe in production)."""
    if key is not None:
        return key.encode()
    settings = get_settings()
    settings.require_secrets(("TIMPORA_PSEUDONYM_KEY",), who="pseudonymisation")
    return settings.pseudonym_key.encode()


def pseudonym(value: str, key: str | None = None) -> str:
    return PREFIX + hmac.new(secret_bytes(key), value.encode(), hashlib.sha256).hexdigest()[:16].upper()


def pseudonyms(values: Iterable[str], key: str | None = None) -> list[str]:
    """Pseudonyms of many values (one HMAC each; there is no batch HMAC)."""
    secret = secret_bytes(key)
    return [PREFIX + hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()[:16].upper() for v in values]
