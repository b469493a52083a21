"""Running the real DAGs in this process with ``dag.test()``: the demo and the replay command.

Airflow really runs the DAGs (its metadata database records every run and task), without
a scheduler: each feed's ingest DAG runs with the landed keys as its conf, then the
reconcile DAG, exactly as the asset events would chain them.
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from timpora.config import Settings, apply_airflow_environment, child_environment, get_settings
from timpora.feeds.contracts import Feed, InvalidLandingKey, parse_landing_key

log = logging.getLogger(__name__)

FEED_ORDER = (Feed.VISA, Feed.STAY_PERMIT, Feed.HOTEL_GUEST)


class DagRunFailed(RuntimeError):
    """A DAG run ended in a state other than success."""


@dataclass
class LandingRun:
    """Which DAG runs a landing day took, and what was rejected without one."""

    dag_runs: list[tuple[str, str]] = field(default_factory=list)  # (dag_id, state)
    skipped_keys: dict[str, str] = field(default_factory=dict)  # key -> why (registered as rejected)


@contextmanager
def folder_lock(path: Path, waiting: str) -> Iterator[None]:
    """An exclusive lock on ``path`` for the block: a second process waits (saying so). The
    kernel drops it when its holder ends, however it ends (``kill -9`` included)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("%s", waiting)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_airflow(settings: Settings) -> None:
    """Point Airflow at our DAGs and metadata database, and migrate that database.

    Safe against a kill and against two processes starting at once: a lock serialises the
    set-up, and a new embedded (SQLite) metadata database is migrated under another name
    and renamed into place only when complete. A database an earlier kill left half
    migrated (stamped with its schema, but without Airflow's log template) is moved
    aside, named in the log, and made again.
    """
    apply_airflow_environment(settings)
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    with folder_lock(settings.airflow_home / ".setup.lock", "waiting for another process setting up Airflow…"):
        url = settings.airflow_db_url
        if not url.startswith("sqlite:///"):
            _migrate_airflow({})
            return
        database = Path(url.removeprefix("sqlite:///"))
        if database.exists() and not metadata_complete(database):
            aside = database.with_name(f"{database.name}.incomplete-{time.strftime('%Y%m%dT%H%M%S')}")
            _move_database(database, aside)
            log.warning("Airflow's metadata database was left half set up (a killed run?): moved to %s", aside)
        if database.exists():
            if _revision(database) != _airflow_head():
                _migrate_airflow({})  # upgrades an existing database in place
            return
        fresh = database.with_name(f".{database.name}.migrating")
        for leftover in _with_journals(fresh):
            leftover.unlink(missing_ok=True)
        _migrate_airflow({"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{fresh}"})
        if not metadata_complete(fresh):
            raise RuntimeError(f"airflow db migrate left {fresh} incomplete")
        _move_database(fresh, database)


def _with_journals(database: Path) -> list[Path]:
    return [database, *(database.with_name(database.name + suffix) for suffix in ("-journal", "-wal", "-shm"))]


def _move_database(source: Path, target: Path) -> None:
    """Move a SQLite database file: its write-ahead log folded into it first (Airflow keeps
    its SQLite metadata in WAL mode), so nothing stays behind in a log of the old name."""
    with closing(sqlite3.connect(source, timeout=60)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.replace(target)
    for journal in _with_journals(source)[1:]:
        journal.unlink(missing_ok=True)


def metadata_complete(database: Path) -> bool:
    """Whether an Airflow SQLite database finished its migration: stamped, with the log
    template Airflow writes last (a run's first INSERT needs it)."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as conn:
            stamped = conn.execute("SELECT COUNT(*) FROM alembic_version").fetchone()[0]
            templates = conn.execute("SELECT COUNT(*) FROM log_template").fetchone()[0]
    except sqlite3.Error:
        return False
    return bool(stamped and templates)


def _revision(database: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _airflow_head() -> str | None:
    """The metadata schema revision the installed Airflow wants (the newest release's head
    at or below it): a database already there needs no `airflow db migrate` (3 s)."""
    from airflow import __version__
    from airflow.utils.db import _REVISION_HEADS_MAP
    from packaging.version import Version

    installed = Version(__version__)
    releases = [version for version in _REVISION_HEADS_MAP if Version(version) <= installed]
    return _REVISION_HEADS_MAP[max(releases, key=Version)] if releases else None


def _migrate_airflow(environment: dict[str, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        capture_output=True,
        text=True,
        check=False,
        env=child_environment(**environment),
    )
    if completed.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{completed.stderr[-4000:]}")


def load_dags(settings: Settings) -> dict[str, Any]:
    """The DAGs of our dags folder, parsed by Airflow's own DagBag."""
    apply_airflow_environment(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.dags_dir), safe_mode=False)
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return dict(bag.dags)


def group_keys(keys: list[str]) -> tuple[dict[Feed, list[str]], dict[str, str]]:
    """Keys by feed; a key under no feed's prefix is no DAG's (see :func:`run_landing`)."""
    by_feed: dict[Feed, list[str]] = defaultdict(list)
    skipped: dict[str, str] = {}
    for key in keys:
        feed_name = key.split("/", 1)[0] if "/" in key else ""
        if feed_name not in {f.value for f in Feed}:
            skipped[key] = "not under a feed prefix (visa/, stay_permit/, hotel_guest/)"
            continue
        try:
            parse_landing_key(key)
        except InvalidLandingKey as exc:
            # Still ingested: the ledger records it as rejected, with this reason.
            log.warning("%s", exc)
        by_feed[Feed(feed_name)].append(key)
    return by_feed, skipped


def _run(dag: Any, conf: dict[str, Any]) -> str:
    import warnings

    with warnings.catch_warnings():
        # dag.test() runs Airflow's execution API in process through Starlette's test client,
        # which warns about its own HTTP client: Airflow's, not something a user can act on.
        warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")
        run = dag.test(run_conf=conf)
    state = str(getattr(run, "state", "unknown"))
    if not state.endswith("success"):
        raise DagRunFailed(f"{dag.dag_id} ended {state}")
    return state


def run_landing(keys: list[str], settings: Settings | None = None, full_reconcile: bool = False) -> LandingRun:
    """Ingest ``keys`` through the three ingest DAGs, then run the reconcile DAG."""
    settings = settings or get_settings()
    dags = load_dags(settings)
    outcome = LandingRun()
    by_feed, outcome.skipped_keys = group_keys(keys)
    if outcome.skipped_keys:
        # No feed's DAG takes them, but they landed: on the ledger, rejected, lines counted.
        from timpora.ingest.pipeline import register_object

        for key in outcome.skipped_keys:
            register_object(key, settings)
    for feed in FEED_ORDER:
        if by_feed.get(feed):
            dag = dags[f"ingest_{feed.value}"]
            outcome.dag_runs.append((dag.dag_id, _run(dag, {"keys": sorted(by_feed[feed])})))
    outcome.dag_runs.append(("reconcile", _run(dags["reconcile"], {"full": full_reconcile})))
    return outcome
