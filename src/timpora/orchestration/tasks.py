"""Task bodies, kept out of DAG files. Each imports its heavy dependencies when it runs.

Only keys, ids and small summaries travel through XCom, never data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)


def ready_warehouse() -> None:
    """What every task that touches the warehouse does first: in production, refuse unsafe
    secrets (naming the variable); then make sure the schema has every migration (applied
    here only where this role owns the schema, see ``ensure_migrated``)."""
    from timpora.config import TASK_SECRETS, get_settings
    from timpora.warehouse.migrate import ensure_migrated
    from timpora.warehouse.privileges import require_least_privilege

    settings = get_settings()
    settings.require_secrets(TASK_SECRETS, who="the DAG task")
    require_least_privilege(settings, who="the DAG task")
    ensure_migrated(settings)


def keys_from_events(events: Any, feed_value: str) -> list[str]:
    """Landing keys carried by a run's triggering asset events (a mapping of asset to events).

    Payloads are MinIO/S3 event records or ``{"key": ...}`` objects; both are accepted.
    """
    return [key for asset in events or {} for key in keys_of_events(events[asset], feed_value)]


def keys_of_events(events: Iterable[Any], feed_value: str) -> list[str]:
    """Landing keys of the feed carried by asset events (an event's ``extra["payload"]`` or ``extra``)."""
    from timpora.landing.events import keys_from_payload

    found: list[str] = []
    for event in events:
        extra = getattr(event, "extra", None) or {}
        payload = extra.get("payload", extra)
        found.extend(key for key in keys_from_payload(payload) if key.startswith(feed_value + "/"))
    return found


def stray_landing_events(dag_run: Any, inlet_events: Any, asset: Any) -> list[Any]:
    """Landing events stamped after this run's trigger and before the run started.

    Airflow 3.3 keeps one queue row per asset and consuming DAG and deletes it once it has
    created a run: an event stored between the scheduler reading that row and deleting it
    is neither consumed by the new run nor queued for a later one (apache/airflow#56050),
    so its file would wait for the sweep. Such events are stamped after the run's trigger
    (``run_after``) and before the run started; the run takes their keys too. When such an
    event does start a run of its own, that run finds the file in the ledger: a no-op.
    """
    # DagRunType is a str enum: it compares equal to its value.
    if dag_run.run_type != "asset_triggered" or dag_run.start_date is None:
        return []
    window = inlet_events[asset].after(dag_run.run_after.isoformat()).before(dag_run.start_date.isoformat())
    return list(window)


def collect_keys(
    feed_value: str, conf: Mapping[str, Any] | None, events: Any, stray_events: Sequence[Any] = ()
) -> list[str]:
    """What this ingest run should process: keys given by the run's conf, by triggering
    events (and :func:`stray_landing_events`), or else every registered file of the feed
    still waiting (a sweep's work)."""
    from timpora.config import get_settings
    from timpora.feeds.contracts import Feed
    from timpora.ingest.ledger import get_entry, pending_entries
    from timpora.warehouse.db import warehouse_engine

    ready_warehouse()
    settings = get_settings()
    engine = warehouse_engine(settings)
    keys = list((conf or {}).get("keys") or [])
    keys += keys_from_events(events, feed_value)
    stray = sorted(set(keys_of_events(stray_events, feed_value)) - set(keys))
    if stray:
        log.info("ingest_%s: also taking %d file(s) announced after its trigger: %s", feed_value, len(stray), stray[:9])
        keys += stray
    if not keys:
        with engine.connect() as conn:
            for ledger_id in pending_entries(conn, Feed(feed_value)):
                entry = get_entry(conn, ledger_id)
                if entry is not None:
                    keys.append(entry.object_key)
    unique = sorted(set(keys))
    wrong = [key for key in unique if not key.startswith(feed_value + "/")]
    if wrong:
        raise ValueError(f"keys of another feed were sent to ingest_{feed_value}: {wrong[:5]}")
    log.info("ingest_%s: %d file(s) to process", feed_value, len(unique))
    return unique


def sweep_landing(feed_value: str) -> list[str]:
    """Keys of the feed waiting for ingest after registering what no event announced.

    Raises ``AirflowSkipException`` when there is nothing to do, so no asset event is
    emitted and no ingest run starts for nothing.
    """
    from airflow.sdk.exceptions import AirflowSkipException

    from timpora.feeds.contracts import Feed
    from timpora.landing.sweep import sweep_feed

    ready_warehouse()
    keys = sweep_feed(Feed(feed_value))
    if not keys:
        raise AirflowSkipException(f"nothing new under {feed_value}/")
    log.info("sweep: %d %s file(s) for ingest", len(keys), feed_value)
    return keys


def sweep_strays() -> list[str]:
    """Register objects that landed under no feed's prefix, as rejected (see the sweep)."""
    from timpora.landing.sweep import register_strays

    ready_warehouse()
    return register_strays()


def group_keys(keys: Sequence[str]) -> list[list[str]]:
    """Keys in the groups an ingest run maps over (:func:`timpora.ingest.pipeline.plan_groups`),
    by the landed objects' sizes."""
    from timpora.config import get_settings
    from timpora.ingest.pipeline import plan_groups, register_ahead
    from timpora.landing.store import landing_store

    settings = get_settings()
    store = landing_store(settings)
    groups = plan_groups({key: store.stat(key).size for key in keys}, settings)
    if len(groups) < len(keys):
        log.info("%d file(s) in %d group(s)", len(keys), len(groups))
    register_ahead(groups, settings, store)
    return groups


def ingest_one_group(groups: list[list[str]]) -> list[list[str]]:
    """A run's groups for the mapped ingest task; a run of one group is ingested right here
    (and its conservation checked and its Data Docs index published), leaving none: a
    one-file run then costs one task, not four (task start, imports, scheduling)."""
    if len(groups) != 1:
        return groups
    check_conservation(ingest_group_of_keys(groups[0]))
    publish_docs_index()
    return []


def ingest_group_of_keys(keys: Sequence[str]) -> list[dict[str, Any]]:
    """Register and process a group of landed files together; their ledger summaries."""
    from timpora.ingest.pipeline import ingest_group

    ready_warehouse()
    summaries = []
    for result in ingest_group(keys):
        log.info(
            "%s -> %s (read %d, loaded %d, quarantined %d, duplicates %d)%s",
            result.object_key,
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.rows_duplicate,
            f": {result.note}" if result.note else "",
        )
        summaries.append(result.as_dict())
    return summaries


def publish_docs_index() -> None:
    """Rebuild the GX Data Docs index over the newest validation results (an ingest run's last step)."""
    from timpora.ingest.pipeline import publish_docs_index as publish

    publish()


def check_conservation(results: Sequence[Mapping[str, Any] | Sequence[Mapping[str, Any]]]) -> dict[str, int]:
    """Re-read each processed file's ledger entry: rows read must equal loaded + quarantined
    + exact duplicates. A mismatch fails the task loudly. ``results`` holds files'
    summaries, or lists of them (one per group of files an ingest run mapped over)."""
    from timpora.config import get_settings
    from timpora.ingest.ledger import get_entry
    from timpora.warehouse.db import warehouse_engine

    totals = {"files": 0, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "rows_duplicate": 0}
    broken = []
    with warehouse_engine(get_settings()).connect() as conn:
        # By index, not by iterator: Airflow's lazy sequence of mapped results would ask for
        # one result past the end and log the answer (404) as an error in every run.
        files: list[Mapping[str, Any]] = []
        for index in range(len(results)):
            item = results[index]
            files.extend([item] if isinstance(item, Mapping) else item)
        for result in files:
            entry = get_entry(conn, result["ledger_id"])
            if entry is None or entry.status == "REGISTERED":
                broken.append(f"{result['object_key']}: not processed (ledger {result['ledger_id']})")
                continue
            read = entry.rows_read or 0
            accounted = (entry.rows_loaded or 0) + (entry.rows_quarantined or 0) + (entry.rows_duplicate or 0)
            if read != accounted:
                broken.append(f"{entry.object_key}: read {read}, accounted for {accounted}")
            totals["files"] += 1
            totals["rows_read"] += read
            totals["rows_loaded"] += entry.rows_loaded or 0
            totals["rows_quarantined"] += entry.rows_quarantined or 0
            totals["rows_duplicate"] += entry.rows_duplicate or 0
    if broken:
        raise RuntimeError("row conservation broken: " + "; ".join(broken))
    log.info("conservation holds: %s", totals)
    return totals


def run_reconcile(run_id: str, full: bool = False) -> dict[str, Any]:
    """Link, run the rules, publish and clear flags, refresh the star (see ``timpora.reconcile.engine``)."""
    from timpora.reconcile.engine import reconcile

    ready_warehouse()
    summary = reconcile(run_id=run_id, full=full)
    return summary.as_dict()


def run_notifications() -> dict[str, Any]:
    """The review queue's housekeeping after a reconcile (see ``timpora.review.notify``)."""
    from timpora.review import notify

    ready_warehouse()
    return notify.run().as_dict()


def flag_overview() -> dict[str, int]:
    """Open flags per rule after the run, for the task log and the demo."""
    from timpora.flags.queries import open_flag_counts

    counts = open_flag_counts()
    log.info("open flags by rule: %s", counts)
    return counts
