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
        feed = object_key.split("/", 1)[0]
        values.update(
            feed=feed if feed in {f.value for f in Feed} else "unknown",
            landing_date=None,
            status="REJECTED",
            note=f"invalid landing key: {exc}",
            loaded_at=now_utc(),
            rows_read=0,
            rows_loaded=0,
            rows_quarantined=0,
            rows_duplicate=0,
        )
        return _inserted(conn, values)
    values.update(feed=landing.feed.value, landing_date=landing.landing_date, status="REGISTERED")
    original = processed_bodies(conn, [content_sha256]).get(content_sha256)
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


def _duplicate_body_note(original_key: str, original_status: str) -> str:
    return f"byte-identical to {original_key} (already {original_status.lower()}): not processed again"


@dataclass(frozen=True)
class ProcessedBody:
    """The processed file a body was first seen in."""

    ledger_id: str
    object_key: str
    status: str
    rows_read: int


def processed_bodies(conn: Connection, digests: list[str]) -> dict[str, ProcessedBody]:
    """For each content hash already processed under some key, the earliest such file."""
    found: dict[str, ProcessedBody] = {}
    for row in query_sql(conn, "ingest/ledger_processed_bodies", {"digests": digests}):
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
