"""Running the real DAGs in this process with ``dag.test()``: the demo and the replay command.

Airflow really runs the DAGs (its metadata database records every run and task), without
a scheduler: each feed's ingest DAG runs with the landed keys as its conf, then the
reconcile DAG, exactly as the asset events would chain them.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from timpora.config import Settings, apply_airflow_environment, get_settings
from timpora.feeds.contracts import Feed, InvalidLandingKey, parse_landing_key

log = logging.getLogger(__name__)

FEED_ORDER = (Feed.VISA, Feed.STAY_PERMIT, Feed.HOTEL_GUEST)


class DagRunFailed(RuntimeError):
    """A DAG run ended in a state other than success."""


@dataclass
class LandingRun:
    """Which DAG runs a landing day took, and what was skipped."""

    dag_runs: list[tuple[str, str]] = field(default_factory=list)  # (dag_id, state)
    skipped_keys: dict[str, str] = field(default_factory=dict)  # key -> why


def prepare_airflow(settings: Settings) -> None:
    """Point Airflow at our DAGs and metadata database, and migrate that database."""
    apply_airflow_environment(settings)
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        capture_output=True,
        text=True,
        check=False,
        env=None,
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
    by_feed: dict[Feed, list[str]] = defaultdict(list)
    skipped: dict[str, str] = {}
    for key in keys:
        feed_name = key.split("/", 1)[0]
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
    for feed in FEED_ORDER:
        if by_feed.get(feed):
            dag = dags[f"ingest_{feed.value}"]
            outcome.dag_runs.append((dag.dag_id, _run(dag, {"keys": sorted(by_feed[feed])})))
    outcome.dag_runs.append(("reconcile", _run(dags["reconcile"], {"full": full_reconcile})))
    return outcome
