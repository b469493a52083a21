"""DAG integrity: the DAG files parse, parsing is side-effect free, every DAG follows policy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from timpora.config import get_settings

DAGS_DIR = Path(__file__).resolve().parent.parent / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py"))

EXPECTED_STRUCTURE = {
    "ingest_hotel_guest": {
        "schedule": "asset",
        "tasks": ["collect_landed_keys", "ingest_files", "publish_data_docs_index"],
    },
    "ingest_stay_permit": {
        "schedule": "asset",
        "tasks": ["collect_landed_keys", "ingest_files", "publish_data_docs_index"],
    },
    "ingest_visa": {
        "schedule": "asset",
        "tasks": ["collect_landed_keys", "ingest_files", "publish_data_docs_index"],
    },
    "reconcile": {"schedule": "asset", "tasks": ["notify_reviewers", "reconcile_warehouse"]},
    "sweep_landing": {
        "schedule": "DeltaTriggerTimetable",
        "tasks": ["sweep_hotel_guest", "sweep_stay_permit", "sweep_strays", "sweep_visa"],
    },
}


def _dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR), safe_mode=False)


def test_every_dag_file_imports_without_error() -> None:
    bag = _dagbag()
    assert bag.import_errors == {}
    assert len(DAG_FILES) >= 4
    assert sorted(bag.dags) == sorted(EXPECTED_STRUCTURE)


def test_parsing_opens_no_connection_and_runs_no_query() -> None:
    """Parsing must not touch a database or a connection (Airflow's own example-DAG rule)."""
    import sqlalchemy as sa
    from airflow.sdk import BaseHook

    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError(f"a connection was opened at parse time: {args}")

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        with (
            mock.patch.object(BaseHook, "get_connection", side_effect=refuse) as get_connection,
            mock.patch("sqlite3.connect", side_effect=refuse),
            mock.patch("psycopg.connect", side_effect=refuse),
        ):
            bag = _dagbag()
        assert bag.import_errors == {}
        get_connection.assert_not_called()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert statements == []


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_no_heavy_library(dag_file: Path) -> None:
    """pandas, GX, minio and database drivers load inside tasks, never at parse time."""
    probe = (
        "import runpy, sys, json; runpy.run_path(sys.argv[1]); "
        "print(json.dumps(sorted(m for m in ('pandas', 'great_expectations', 'minio', 'psycopg', 'rapidfuzz') "
        "if m in sys.modules)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe, str(dag_file)],
        capture_output=True,
        text=True,
        check=False,
        env={**get_settings().airflow_environment(), "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []


def test_every_dag_follows_policy() -> None:
    from timpora.orchestration.assets import Owner, Tag

    for dag_id, dag in _dagbag().dags.items():
        assert dag.doc_md and len(dag.doc_md.strip()) > 80, f"{dag_id} needs doc_md"
        assert dag.tags and set(dag.tags) <= {t.value for t in Tag}, f"{dag_id} tags {dag.tags}"
        assert dag.catchup is False
        for task in dag.tasks:
            assert task.owner in {o.value for o in Owner}, f"{dag_id}.{task.task_id} owner {task.owner}"
            assert task.retries >= 1, f"{dag_id}.{task.task_id} needs retries"
            assert task.doc_md or (task.python_callable.__doc__ if hasattr(task, "python_callable") else None), (
                f"{dag_id}.{task.task_id} needs a docstring"
            )


def test_dag_structure_snapshot() -> None:
    """A structural change (DAG ids, schedules, tasks) shows up here and in review."""
    from airflow.sdk import Asset

    found = {}
    for dag_id, dag in _dagbag().dags.items():
        schedule = dag.timetable.__class__.__name__
        found[dag_id] = {
            "schedule": "asset"
            if "Asset" in schedule or isinstance(getattr(dag, "schedule", None), list | Asset)
            else schedule,
            "tasks": sorted(dag.task_ids),
        }
    assert found == EXPECTED_STRUCTURE


def test_ingest_emits_and_reconcile_consumes_the_warehouse_asset() -> None:
    from timpora.orchestration.assets import LANDING_ASSETS, WAREHOUSE_ASSET

    dags = _dagbag().dags
    for feed, asset in LANDING_ASSETS.items():
        dag = dags[f"ingest_{feed.value}"]
        assert [a.uri for a in dag.schedule] == [asset.uri]
        assert [o.uri for o in dag.get_task("ingest_files").outlets] == [WAREHOUSE_ASSET.uri]
        # A run of one group is ingested by its first task, which emits the asset too.
        assert [o.uri for o in dag.get_task("collect_landed_keys").outlets] == [WAREHOUSE_ASSET.uri]
    assert [a.uri for a in dags["reconcile"].schedule] == [WAREHOUSE_ASSET.uri]
    for feed, asset in LANDING_ASSETS.items():
        assert [o.uri for o in dags["sweep_landing"].get_task(f"sweep_{feed.value}").outlets] == [asset.uri]


def test_landing_assets_are_watched_by_the_configured_trigger() -> None:
    """Embedded settings: a folder watcher per feed; S3 with a queue: MinIO's Redis lists."""
    from timpora.config import settings_from_environ
    from timpora.feeds.contracts import Feed
    from timpora.landing.triggers import LandingFolderTrigger, LandingQueueTrigger
    from timpora.orchestration import assets

    for feed, asset in assets.LANDING_ASSETS.items():
        (watcher,) = asset.watchers
        assert isinstance(watcher.trigger, LandingFolderTrigger) and watcher.trigger.feed == feed.value
    production = settings_from_environ(
        {
            "TIMPORA_S3_ENDPOINT": "http://minio:9000",
            "TIMPORA_S3_ACCESS_KEY": "a",
            "TIMPORA_S3_SECRET_KEY": "b",
            "TIMPORA_EVENT_QUEUE_URL": "redis://redis:6379/1",
        }
    )
    with mock.patch.object(assets, "get_settings", return_value=production):
        (watcher,) = assets.landing_watchers(Feed.VISA)
    assert isinstance(watcher.trigger, LandingQueueTrigger)
    assert watcher.trigger.queue == "timpora:landing-events:visa"
    assert watcher.trigger.redis_url == "redis://redis:6379/1"
