"""A generated day through the real DAGs (``dag.test()``), on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from timpora.config import get_settings
from timpora.evaluation import linking_quality
from timpora.flags.queries import list_flags
from timpora.generator import generate_day
from timpora.rules.config import RuleCode
from timpora.runner import run_landing
from timpora.warehouse.db import warehouse_engine

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

# Bookkeeping of the run itself (when it last ran), not warehouse content.
_VOLATILE = {"reconcile_state"}


def warehouse_snapshot() -> dict[str, Any]:
    """Every table's rows, hashed: equal snapshots mean an identical warehouse."""
    engine = warehouse_engine(get_settings())
    snapshot: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in sorted(sa.inspect(conn).get_table_names()):
            if table in _VOLATILE:
                continue
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).fetchall()
            digest = hashlib.sha256("\n".join(sorted(repr(tuple(map(str, r))) for r in rows)).encode()).hexdigest()
            snapshot[table] = (len(rows), digest)
    return snapshot


def planted(truth: dict[str, Any], rule: str) -> set[tuple[str, ...]]:
    """A planted case by the stays it concerns (the typed passport may carry desk noise)."""
    return {tuple(c["report_ids"]) for c in truth["planted"] if c["rule_code"] == rule}


def flagged(rule: str) -> set[tuple[str, ...]]:
    frame = list_flags(rule_code=rule)
    return {tuple(sorted(json.loads(row.report_ids))) for row in frame.itertuples()}


def test_generated_day_raises_exactly_the_planted_cases_of_every_rule(
    warehouse: str, landing: Path, airflow_db: Path, tmp_path: Path
) -> None:
    truth = generate_day(landing, tmp_path / "truth.json", stays=150, seed=3)
    outcome = run_landing(truth["files"])
    assert [dag_id for dag_id, _ in outcome.dag_runs] == [
        "ingest_visa",
        "ingest_stay_permit",
        "ingest_hotel_guest",
        "reconcile",
    ]
    assert all(state.endswith("success") for _, state in outcome.dag_runs)

    # Every planted case of every rule, and nothing on the look-alikes or the clean guests.
    for rule in RuleCode:
        expected = planted(truth, rule.value)
        assert len(expected) >= 3, rule
        assert flagged(rule.value) == expected, rule
    engine = warehouse_engine(get_settings())
    quality = {q.name: q for q in linking_quality(engine, truth)}
    assert quality["all"].precision == 1.0 and quality["all"].recall == 1.0

    # Every landed row is accounted for, and the planted faults are in quarantine.
    engine = warehouse_engine(get_settings())
    with engine.connect() as conn:
        ledger = conn.execute(
            sa.text("SELECT status, rows_read, rows_loaded, rows_quarantined, rows_duplicate FROM file_ledger")
        ).fetchall()
        assert len(ledger) == len(truth["files"])
        assert all(row[0] == "LOADED" and row[1] == row[2] + row[3] + row[4] for row in ledger)
        quarantined_lines = conn.execute(sa.text("SELECT raw FROM quarantine WHERE scope = 'row'")).fetchall()
    for case in truth["quarantine_cases"]:
        assert any(case["report_ids"][0] in raw for (raw,) in quarantined_lines), case

    before = warehouse_snapshot()
    again = run_landing(truth["files"])
    assert all(state.endswith("success") for _, state in again.dag_runs)
    assert warehouse_snapshot() == before
