"""The file ledger: every landed object registered once, by key and content hash.

* The same key with the same body again (an at-least-once re-delivery, or an event and
  the sweep for one object) finds its entry: a no-op.
* A changed body under a known key is registered as that key's next version.
* A body byte-identical to a file already processed under another key is registered as
  ``DUPLICATE_BODY`` and not processed again; all its rows count as exact duplicates. So
  is one found so when its turn comes: its twin was processed after it was registered, or
  both came in one group (the one that landed first is processed).
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from timpora.feeds.contracts import Feed, InvalidLandingKey, parse_landing_key
from timpora.warehouse.db import query_sql, run_sql


class LedgerRace(RuntimeError):
    """Two bodies of one key were registered at once under the same version; retry."""


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger row."""

    ledger_id: str
    feed: str
    object_key: str
    object_version: int
    content_sha256: str
    status: str
    landing_date: date | None = None
    rows_read: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    rows_duplicate: int | None = None
    note: str | None = None
    duplicate_of: str | None = None
    encoding: str | None = None

    @property
    def done(self) -> bool:
        return self.status != "REGISTERED"

    @property
    def invalid_key(self) -> bool:
        """Registered under a key outside the landing layout: to be rejected, never processed."""
        return self.landing_date is None and (self.note or "").startswith("invalid landing key")


def ledger_id_for(object_key: str, content_sha256: str) -> str:
    """Deterministic id: the same key and body give the same id on every machine."""
    return hashlib.sha256(f"{object_key}\n{content_sha256}".encode()).hexdigest()[:32]


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def get_entry(conn: Connection, ledger_id: str) -> LedgerEntry | None:
    rows = query_sql(conn, "ingest/ledger_get", {"ledger_id": ledger_id})
    if not rows:
        return None
    row = rows[0]._mapping
    return LedgerEntry(
        ledger_id=row["ledger_id"],
        feed=row["feed"],
        object_key=row["object_key"],
        object_version=int(row["object_version"]),
        content_sha256=row["content_sha256"],
        status=row["status"],
        landing_date=_as_date(row["landing_date"]),
        rows_read=row["rows_read"],
        rows_loaded=row["rows_loaded"],
        rows_quarantined=row["rows_quarantined"],
        rows_duplicate=row["rows_duplicate"],
        note=row["note"],
        duplicate_of=row["duplicate_of"],
        encoding=row["encoding"],
    )


def register(
    conn: Connection, object_key: str, content_sha256: str, size_bytes: int, source_etag: str | None = None
) -> LedgerEntry:
    """Register a landed object (idempotent); returns its ledger entry.

    A key outside the landing layout under a feed prefix is registered as ``REJECTED``
    with the reason, so it is visible rather than silently ignored.
    """
    ledger_id = ledger_id_for(object_key, content_sha256)
    existing = get_entry(conn, ledger_id)
    if existing is not None:
        return existing
    values: dict[str, Any] = {
        "ledger_id": ledger_id,
        "object_key": object_key,
        "content_sha256": content_sha256,
        "size_bytes": size_bytes,
        "source_etag": source_etag,
        "duplicate_of": None,
        "rows_read": None,
        "rows_loaded": None,
        "rows_quarantined": None,
        "rows_duplicate": None,
        "note": None,
        "registered_at": now_utc(),
        "loaded_at": None,
    }
    version = query_sql(conn, "ingest/ledger_next_version", {"object_key": object_key})[0][0]
    values["object_version"] = int(version)
    try:
        landing = parse_landing_key(object_key)
    except InvalidLandingKey as exc:
        # Registered with the reason and no landing date: whoever registered it rejects it
        # next (pipeline.register_object), its lines counted and quarantined; a crash in
        # between leaves it waiting, and the next registration of it does the rest.
        values.update(feed=feed_of_key(object_key), landing_date=None, status="REGISTERED", note=invalid_key_note(exc))
        return _inserted(conn, values)
    values.update(feed=landing.feed.value, landing_date=landing.landing_date, status="REGISTERED")
    # An empty body is the same in every empty file: nothing to deduplicate.
    original = processed_bodies(conn, [content_sha256], landing.feed).get(content_sha256) if size_bytes else None
    if original is not None and not read_alike(original.object_key, object_key):
        original = None
    if original is not None:
        values.update(
            status="DUPLICATE_BODY",
            duplicate_of=original.ledger_id,
            rows_read=original.rows_read,
            rows_loaded=0,
            rows_quarantined=0,
            rows_duplicate=original.rows_read,
            note=_duplicate_body_note(original.object_key, original.status),
            loaded_at=now_utc(),
        )
    return _inserted(conn, values)


def read_alike(key: str, other: str) -> bool:
    """Whether the same bytes under these two keys are read the same: the same feed, the
    same lodging or office in the name (rows are checked against it), both or neither
    gzipped. Only then is a byte-identical body a duplicate."""
    try:
        first, second = parse_landing_key(key), parse_landing_key(other)
    except InvalidLandingKey:
        return False
    return (
        first.feed is second.feed
        and first.source_id == second.source_id
        and key.endswith(".gz") == other.endswith(".gz")
    )


def feed_of_key(object_key: str) -> str:
    """The feed a key names, or ``unknown`` (a file at the landing root, an unknown folder)."""
    first = object_key.split("/", 1)[0] if "/" in object_key else ""
    return first if first in {f.value for f in Feed} else "unknown"


def invalid_key_note(exc: InvalidLandingKey) -> str:
    return f"invalid landing key: {exc}"


def register_refused(conn: Connection, object_key: str, etag: str | None, why: str) -> LedgerEntry:
    """Register an object that is not read (a symbolic link, an unreadable file) as
    rejected, with why. Its "hash" names the refusal and the object's ETag, so the same
    object refused again is the same entry, and a changed one a new version."""
    marker = hashlib.sha256(f"refused\n{object_key}\n{etag}\n{why}".encode()).hexdigest()
    ledger_id = ledger_id_for(object_key, marker)
    existing = get_entry(conn, ledger_id)
    if existing is not None:
        return existing
    landing_date = None
    with contextlib.suppress(InvalidLandingKey):
        landing_date = parse_landing_key(object_key).landing_date
    version = query_sql(conn, "ingest/ledger_next_version", {"object_key": object_key})[0][0]
    return _inserted(
        conn,
        {
            "ledger_id": ledger_id,
            "object_key": object_key,
            "object_version": int(version),
            "content_sha256": marker,
            "size_bytes": 0,
            "source_etag": etag,
            "feed": feed_of_key(object_key),
            "landing_date": landing_date,
            "status": "REJECTED",
            "duplicate_of": None,
            "rows_read": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
            "rows_duplicate": 0,
            "note": f"refused: {why}",
            "registered_at": now_utc(),
            "loaded_at": now_utc(),
        },
    )


def _duplicate_body_note(original_key: str, original_status: str) -> str:
    return f"byte-identical to {original_key} (already {original_status.lower()}): not processed again"


@dataclass(frozen=True)
class ProcessedBody:
    """The processed file a body was first seen in."""

    ledger_id: str
    object_key: str
    status: str
    rows_read: int


def processed_bodies(conn: Connection, digests: list[str], feed: Feed) -> dict[str, ProcessedBody]:
    """For each content hash already processed under some key of the feed, the earliest
    such file. Per feed: a visa export and a lodging's file share no rows, whatever their
    bytes (two empty files, say)."""
    found: dict[str, ProcessedBody] = {}
    for row in query_sql(conn, "ingest/ledger_processed_bodies", {"digests": digests, "feed": feed.value}):
        body = ProcessedBody(row.ledger_id, row.object_key, row.status, row.rows_read or 0)
        found.setdefault(row.content_sha256, body)
    return found


def close_as_duplicate_body(conn: Connection, ledger_id: str, original: ProcessedBody) -> None:
    """Close a registered file whose body turned out, when its turn came, byte-identical
    to a processed one (registered before that one was done, or beside it in one group)."""
    run_sql(
        conn,
        "ingest/ledger_duplicate_body",
        {
            "ledger_id": ledger_id,
            "duplicate_of": original.ledger_id,
            "rows_read": original.rows_read,
            "note": _duplicate_body_note(original.object_key, original.status),
            "loaded_at": now_utc(),
        },
    )


def _inserted(conn: Connection, values: dict[str, Any]) -> LedgerEntry:
    """Insert a ledger entry, or find the one a worker registering the same file inserted."""
    run_sql(conn, "ingest/ledger_insert", values)
    entry = get_entry(conn, values["ledger_id"])
    if entry is None:
        # The insert met another body of the same key taking the same version number.
        raise LedgerRace(
            f"{values['object_key']}: another body of this key was registered as version "
            f"{values['object_version']} at the same time; registering again gives this one the next version"
        )
    return entry


def pending_entries(conn: Connection, feed: Feed) -> list[str]:
    """Ledger ids of registered files of a feed not processed yet."""
    return [row[0] for row in query_sql(conn, "ingest/ledger_pending", {"feed": feed.value})]
