"""The sweep: nothing landed may be missed, even when its notification was lost.

On a schedule, the landing zone is listed per feed and compared with the ledger; an
object the ledger has never seen, or whose ETag changed since its newest registration
(an overwrite), is registered and handed to ingest. Registered files still waiting
(an ingest that failed after its retries) are handed over again too.
"""

from __future__ import annotations

import logging

from timpora.config import Settings, get_settings
from timpora.feeds.contracts import Feed
from timpora.ingest.ledger import get_entry, pending_entries
from timpora.ingest.pipeline import register_object
from timpora.landing.store import LandingStore, landing_store
from timpora.warehouse.db import query_sql, warehouse_engine

log = logging.getLogger(__name__)


def keys_missing_from_ledger(store: LandingStore, feed: str, settings: Settings | None = None) -> list[str]:
    """Objects under ``<feed>/`` that are new to the ledger or changed since registration."""
    settings = settings or get_settings()
    with warehouse_engine(settings).connect() as conn:
        known = {
            row[0]: (row[1], row[2])
            for row in query_sql(conn, "ingest/ledger_latest_by_key", {"prefix": feed.replace("_", "!_") + "/%"})
        }
    missing = []
    for landed in store.list_objects(f"{feed}/"):
        seen = known.get(landed.key)
        if (
            seen is None
            or (landed.etag and seen[0] and landed.etag != seen[0])
            or (seen[0] is None and landed.size != seen[1])
        ):
            missing.append(landed.key)
    return missing


def _changed(seen: tuple[str | None, int] | None, etag: str | None, size: int) -> bool:
    """New to the ledger, or changed since its newest registration (by ETag, else size)."""
    if seen is None:
        return True
    known_etag, known_size = seen
    if etag and known_etag:
        return etag != known_etag
    return size != known_size


def sweep_feed(feed: Feed, settings: Settings | None = None) -> list[str]:
    """Register what the events missed; return every key of the feed waiting for ingest."""
    settings = settings or get_settings()
    store = landing_store(settings)
    missing = keys_missing_from_ledger(store, feed.value, settings)
    for key in missing:
        registered = register_object(key, settings, store)
        log.info("sweep registered %s (%s)", key, registered.status)
    with warehouse_engine(settings).connect() as conn:
        waiting = []
        for ledger_id in pending_entries(conn, feed):
            entry = get_entry(conn, ledger_id)
            if entry is not None:
                waiting.append(entry.object_key)
    if missing:
        log.warning("sweep found %d %s file(s) no event announced", len(missing), feed.value)
    return sorted(set(waiting))


def register_strays(settings: Settings | None = None) -> list[str]:
    """Register what landed outside every feed's prefix (the bucket's root, an unknown
    folder): no feed's events or sweep see those, so they would otherwise never be on the
    ledger. Each is rejected there with the reason and its lines counted. The keys newly
    registered."""
    from timpora.ingest.ledger import feed_of_key

    settings = settings or get_settings()
    store = landing_store(settings)
    with warehouse_engine(settings).connect() as conn:
        known = {
            row[0]: (row[1], row[2])
            for row in query_sql(conn, "ingest/ledger_latest_by_key", {"prefix": "%"})
            if feed_of_key(row[0]) == "unknown"
        }
    registered = []
    for landed in store.list_objects():
        if feed_of_key(landed.key) == "unknown" and _changed(known.get(landed.key), landed.etag, landed.size):
            entry = register_object(landed.key, settings, store)
            log.warning("sweep: %s is under no feed's prefix: %s", landed.key, entry.note)
            registered.append(landed.key)
    return registered
