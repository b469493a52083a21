"""Keyed pseudonyms of personal identifiers (HMAC-SHA256 under the configured secret).

Stable across loads and machines for one key, so analysts can count and join people;
not reversible without the key, and different under another key
(``TIMPORA_PSEUDONYM_KEY``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from timpora.config import get_settings

PREFIX = "PSN-"


def pseudonym(value: str, key: str | None = None) -> str:
    secret = (key if key is not None else get_settings().pseudonym_key).encode()
    return PREFIX + hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:16].upper()


def pseudonyms(values: Iterable[str], key: str | None = None) -> list[str]:
    """Pseudonyms of many values (one HMAC each; there is no batch HMAC)."""
    secret = (key if key is not None else get_settings().pseudonym_key).encode()
    return [PREFIX + hmac.new(secret, v.encode(), hashlib.sha256).hexdigest()[:16].upper() for v in values]
