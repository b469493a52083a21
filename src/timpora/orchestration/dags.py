"""Builders of the platform's DAGs. DAG files call these and do nothing else.

Graphs only: every task body lives in :mod:`timpora.orchestration.tasks` and imports its
heavy dependencies when it runs.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, TriggerRule, task

from timpora.feeds.contracts import Feed
from timpora.orchestration.assets import LANDING_ASSETS, WAREHOUSE_ASSET, Owner, Tag

START = pendulum.datetime(2024, 1, 1, tz="Asia/Jakarta")
DEFAULT_ARGS: dict[str, Any] = {
    "owner": Owner.DATA_ENGINEERING.value,
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
}


def short_run_id(run_id: str) -> str:
    """A bounded id for warehouse bookkeeping; the same Airflow run always maps to the same id."""
    return "af-" + hashlib.sha256(run_id.encode()).hexdigest()[:24]


def build_ingest_dag(feed: Feed, doc_md: str | None) -> DAG:
    """``ingest_<feed>``: register, parse, validate, quarantine and merge landed files."""
    with DAG(
        dag_id=f"ingest_{feed.value}",
        schedule=[LANDING_ASSETS[feed]],
        start_date=START,
        catchup=False,
        default_args=DEFAULT_ARGS,
        tags=[Tag.TIMPORA.value, Tag.INGEST.value],
        doc_md=doc_md,
        max_active_tasks=4,
        params={
            "keys": Param(
                [],
                type="array",
                description="landing keys to (re)process; empty: "
                "the triggering events' objects, else every registered file waiting",
            )
        },
    ) as dag:
        # The landing asset is an inlet so that the run can read events its trigger missed.
        # The warehouse asset is an outlet here too: a run of one group (one file, or a few
        # small ones: most event-driven runs) is ingested by this task itself, so a report
        # reaches the reconcile after one task, not four.
        @task(inlets=[LANDING_ASSETS[feed]], outlets=[WAREHOUSE_ASSET])
        def collect_landed_keys(**context: Any) -> list[list[str]]:
            """Landing keys for this run (from the run's conf, the triggering events, or the
            ledger), in groups: a large file alone, small files of one landing date together.
            One group is ingested here, and none is left for the mapped task."""
            from timpora.orchestration.tasks import collect_keys, group_keys, ingest_one_group, stray_landing_events

            conf = dict(context["dag_run"].conf or {})
            if not conf.get("keys"):
                conf["keys"] = list(context["params"].get("keys") or [])
            stray = stray_landing_events(context["dag_run"], context["inlet_events"], LANDING_ASSETS[feed])
            return ingest_one_group(
                group_keys(collect_keys(feed.value, conf, context.get("triggering_asset_events"), stray))
            )

        @task(outlets=[WAREHOUSE_ASSET], max_active_tis_per_dagrun=4)
        def ingest_files(keys: list[str]) -> list[dict[str, Any]]:
            """Register and process a group of landed files (a no-op for a body seen before),
            then check each file's row conservation again from its ledger entry."""
            from timpora.orchestration.tasks import check_conservation, ingest_group_of_keys

            summaries = ingest_group_of_keys(keys)
            check_conservation(summaries)
            return summaries

        # The index of the GX Data Docs, once per run of several groups (one group's run
        # publishes it itself): each file's task renders its own result's page, and the index
        # is built by reading the results it lists. Also after a failed file, whose result is
        # in the docs too.
        @task(trigger_rule=TriggerRule.ALL_DONE)
        def publish_data_docs_index(groups: list[list[str]]) -> None:
            """Rebuild the Data Docs index over the newest validation results."""
            from timpora.orchestration.tasks import publish_docs_index

            if groups:
                publish_docs_index()

        groups = collect_landed_keys()
        ingested = ingest_files.expand(keys=groups)
        ingested >> publish_data_docs_index(groups)  # type: ignore[arg-type]
    return dag


def build_sweep_dag(doc_md: str | None, every: timedelta = timedelta(minutes=15)) -> DAG:
    """``sweep_landing``: find landed objects no event announced; hand them to ingest."""
    with DAG(
        dag_id="sweep_landing",
        schedule=every,
        start_date=START,
        catchup=False,
        default_args=DEFAULT_ARGS,
        tags=[Tag.TIMPORA.value, Tag.LANDING.value],
        doc_md=doc_md,
        max_active_runs=1,
    ) as dag:
        for feed in Feed:

            @task(task_id=f"sweep_{feed.value}", outlets=[LANDING_ASSETS[feed]])
            def sweep(feed_value: str = feed.value, **context: Any) -> list[str]:
                """List the feed's prefix; register what the ledger lacks; emit its keys."""
                from timpora.orchestration.tasks import sweep_landing

                keys = sweep_landing(feed_value)
                context["outlet_events"][LANDING_ASSETS[Feed(feed_value)]].extra = {"keys": keys}
                return keys

            sweep()

        @task
        def sweep_strays() -> list[str]:
            """Register what landed under no feed's prefix, as rejected, lines counted."""
            from timpora.orchestration.tasks import sweep_strays as register

            return register()

        sweep_strays()
    return dag


def build_reconcile_dag(doc_md: str | None) -> DAG:
    """``reconcile``: link guests to documents, run the rules, publish and clear flags."""
    with DAG(
        dag_id="reconcile",
        schedule=[WAREHOUSE_ASSET],
        start_date=START,
        catchup=False,
        default_args=DEFAULT_ARGS,
        tags=[Tag.TIMPORA.value, Tag.RECONCILE.value],
        doc_md=doc_md,
        max_active_runs=1,
        params={"full": Param(False, type="boolean", description="re-examine everyone, not only changes")},
    ) as dag:

        @task
        def reconcile_warehouse(**context: Any) -> dict[str, Any]:
            """One run: nights, links, rules, flag upserts, automatic clearing, the star; then
            the open flags per rule in the task log (one task: the report is a flag sooner)."""
            from timpora.orchestration.tasks import flag_overview, run_reconcile

            summary = run_reconcile(short_run_id(context["run_id"]), full=bool(context["params"].get("full")))
            summary["open_flags"] = flag_overview()
            return summary

        @task
        def notify_reviewers() -> dict[str, Any]:
            """Release idle claims, tell the region's reviewers of new HIGH flags and flags in
            monitoring windows, escalate deadline breaches to supervisors, send the e-mails."""
            from timpora.orchestration.tasks import run_notifications

            return run_notifications()

        reconcile_warehouse() >> notify_reviewers()
    return dag
