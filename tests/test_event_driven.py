"""Event-driven landing end to end: S3 (SeaweedFS) + MinIO-format events in Redis + Airflow.

The Airflow stack really runs (api-server, scheduler, dag-processor, triggerer); nothing
is triggered by hand except the sweep, which would otherwise wait for its schedule.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from tests.conftest import REDIS_URL
from tests.services import AirflowStack, SeaweedS3, wait_for
from tests.test_bad_inputs import guest_line
from tests.test_triggers import minio_access_message
from timpora.config import get_settings
from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS
from timpora.generator import generate_day
from timpora.warehouse.db import warehouse_engine

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def flagged_passports(status: str = "OPEN") -> set[str]:
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT passport_number FROM flag WHERE rule_code = 'NO_VALID_PERMIT' AND status = :status"),
            {"status": status},
        )
        return {row[0] for row in rows}


def ledger_count() -> int:
    with warehouse_engine(get_settings()).connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM file_ledger")).scalar_one())


def dag_runs(stack: AirflowStack, dag_id: str) -> int:
    """Successful runs of a DAG, from Airflow's own metadata database."""
    import sqlite3

    with sqlite3.connect(stack.home / "airflow.db", timeout=30) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM dag_run WHERE dag_id = ? AND state = 'success'", (dag_id,)
        ).fetchone()
    return int(count)


def failed_tries(stack: AirflowStack) -> int:
    """Task tries that failed or wait for a retry (a healthy landing day needs none)."""
    import sqlite3

    with sqlite3.connect(stack.home / "airflow.db", timeout=30) as conn:
        (failed,) = conn.execute(
            "SELECT COUNT(*) FROM task_instance WHERE state IN ('failed', 'up_for_retry')"
        ).fetchone()
        (retried,) = conn.execute("SELECT COUNT(*) FROM task_instance WHERE try_number > 1").fetchone()
    return int(failed) + int(retried)


def warehouse_state(expected: set[str]) -> str:
    """The ledger and the flags against what the test waits for."""
    with warehouse_engine(get_settings()).connect() as conn:
        ledger = conn.execute(
            sa.text("SELECT object_key, status, rows_loaded FROM file_ledger ORDER BY object_key")
        ).all()
        dirty = conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one()
    flagged = flagged_passports()
    return "\n".join(
        [
            f"ledger ({len(ledger)} files):",
            *(f"  {row}" for row in ledger),
            f"reconcile_dirty marks left: {dirty}",
            f"open NO_VALID_PERMIT flags missing: {sorted(expected - flagged)}",
            f"open NO_VALID_PERMIT flags not planted: {sorted(flagged - expected)}",
        ]
    )


def lone_guest_file(path: Path, passport: str, seq: int) -> None:
    """A lodging file with one guest who holds no permit at all."""
    line = guest_line(
        seq, passport_number=passport, guest_surname="KOWALSKI", guest_given_names="Marek", nationality="POL"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(";".join(HOTEL_GUEST_COLUMNS) + "\n" + line + "\n", encoding="utf-8")


@pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True)
def test_landed_files_become_flags_without_a_manual_trigger(
    warehouse: str, s3_landing: str, s3_server: SeaweedS3, redis_queue: str, tmp_path: Path
) -> None:
    settings = get_settings()
    queue_of = {feed: f"{redis_queue}:{feed}" for feed in ("visa", "stay_permit", "hotel_guest")}
    publisher = redis.Redis.from_url(REDIS_URL)
    client = s3_server.client()

    def land(key: str, source: Path, announce: bool = True) -> None:
        client.fput_object(s3_landing, key, str(source))
        if announce:  # what MinIO's notify_redis target does for the feed's prefix
            publisher.rpush(queue_of[key.split("/", 1)[0]], minio_access_message(key, bucket=s3_landing))

    stack = AirflowStack(
        tmp_path / "airflow", {"TIMPORA_EVENT_QUEUE_URL": REDIS_URL, "TIMPORA_EVENT_QUEUE_NAME": redis_queue}
    )
    figures: dict[str, Any] = {}
    diagnosis = ARTIFACTS / "event_driven_diagnosis.txt"
    diagnosis.unlink(missing_ok=True)
    expected: set[str] = set()
    try:
        stack.start()
        wait_for(lambda: stack.log("triggerer").count("starting") >= 3, 120, what="three landing watchers")

        # 1. A generated day lands; its events arrive; the planted cases become flags.
        day = tmp_path / "day"
        truth = generate_day(day, tmp_path / "truth.json", stays=150, seed=5)
        expected = {c["passport_number"] for c in truth["planted"] if c["rule_code"] == "NO_VALID_PERMIT"}
        started = time.monotonic()
        for key in truth["files"]:
            land(key, day / key)
        # Feeds arrive independently: a guest reconciled before their permit landed is
        # flagged, then cleared automatically when the permit arrives. What stays open is
        # exactly what was planted.
        wait_for(
            lambda: ledger_count() == len(truth["files"]) and flagged_passports() == expected,
            300,
            interval=1,
            what="the planted flags, and only those, open",
        )
        figures["upload_to_flags_seconds"] = round(time.monotonic() - started, 1)
        figures["task_tries_failed_on_the_way"] = failed_tries(stack)
        assert not flagged_passports("CLEARED") & expected

        # 2. The same event twice: the object is ingested once.
        hotel = next(k for k in truth["files"] if k.startswith("hotel_guest/"))
        runs_before = dag_runs(stack, "ingest_hotel_guest")
        publisher.rpush(queue_of["hotel_guest"], minio_access_message(hotel, bucket=s3_landing))
        wait_for(
            lambda: dag_runs(stack, "ingest_hotel_guest") > runs_before,
            180,
            interval=2,
            what="the duplicate event's ingest run",
        )
        assert ledger_count() == len(truth["files"])

        # 3. An object whose event was lost: the sweep registers and ingests it.
        lone_guest_file(tmp_path / "lost.csv", "EX1000001", 901)
        land("hotel_guest/2024/10/03/LDG-167101_lost.csv", tmp_path / "lost.csv", announce=False)
        stack.airflow("dags", "trigger", "sweep_landing")
        wait_for(lambda: "EX1000001" in flagged_passports(), 240, interval=2, what="the swept file's flag")

        # 4. Airflow is down while a file lands and its event arrives: handled after restart.
        stack.stop()
        lone_guest_file(tmp_path / "while_down.csv", "EX1000002", 902)
        land("hotel_guest/2024/10/03/LDG-167101_while-down.csv", tmp_path / "while_down.csv")
        assert publisher.llen(queue_of["hotel_guest"]) == 1
        restarted = time.monotonic()
        stack.start()
        wait_for(lambda: "EX1000002" in flagged_passports(), 300, interval=2, what="the flag after a restart")
        figures["restart_to_flag_seconds"] = round(time.monotonic() - restarted, 1)
        assert ledger_count() == len(truth["files"]) + 2
        assert publisher.llen(f"{queue_of['hotel_guest']}:inflight") == 0
    except (TimeoutError, AssertionError):
        # Keep what the warehouse and Airflow looked like: the timeout alone does not say why.
        ARTIFACTS.mkdir(exist_ok=True)
        diagnosis.write_text(warehouse_state(expected) + "\n" + stack.diagnose())
        print(diagnosis.read_text())
        raise
    finally:
        stack.stop()
        publisher.close()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "event_driven_latency.json").write_text(json.dumps(figures, indent=1))
    print(f"event-driven latency: {figures}")
    assert settings.landing_backend == "s3"
