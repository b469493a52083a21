"""The production topology end to end, under faults: what ``docker-compose.yml`` runs, as
local processes (``timpora.localstack.CeleryStack``).

PostgreSQL holds Airflow's metadata and Celery's results (a database this test makes and
drops) and the warehouse; Redis is the Celery broker (a database number of its own) and
the landing notification queue; SeaweedFS is the bucket; api-server, scheduler,
dag-processor, triggerer (with the landing watchers) and two Celery workers
(``--concurrency 1``, distinct hostnames, no log servers) run as separate processes bound
to 127.0.0.1. MinIO itself has no package here: its notification is simulated, by pushing
exactly the message its Redis target pushes (``format=access``) for each upload.

Nothing is triggered by hand except the sweep. The day lands and its planted flags open;
then, each checked for nothing lost or doubled (ledger, flags): a worker is killed in the
middle of an ingest task (the try is found dead after the heartbeat timeout and retried,
the file loaded once); the triggerer is stopped while three files land, then started; the
scheduler restarts mid-run; two files are ingested at once on the two workers while the
reconcile's runs stay one at a time.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from tests.conftest import REDIS_URL, _admin_engine, pg_url
from tests.services import CeleryStack, SeaweedS3, wait_for
from tests.test_bad_inputs import guest_line
from tests.test_triggers import minio_access_message
from timpora.config import get_settings
from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS
from timpora.generator import generate_day
from timpora.warehouse.db import warehouse_engine

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
BROKER_DB = 9  # the Celery broker's Redis database: the landing queues use 0


def flagged_passports(status: str = "OPEN") -> set[str]:
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT passport_number FROM flag WHERE rule_code = 'NO_VALID_PERMIT' AND status = :status"),
            {"status": status},
        )
        return {row[0] for row in rows}


def ledger() -> dict[str, tuple[str, int | None, int | None]]:
    with warehouse_engine(get_settings()).connect() as conn:
        rows = conn.execute(sa.text("SELECT object_key, status, rows_read, rows_loaded FROM file_ledger")).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def warehouse_state(expected: set[str]) -> str:
    with warehouse_engine(get_settings()).connect() as conn:
        dirty = conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one()
    flagged = flagged_passports()
    return "\n".join(
        [
            "ledger:",
            *(f"  {key}: {value}" for key, value in sorted(ledger().items())),
            f"reconcile_dirty marks left: {dirty}",
            f"open NO_VALID_PERMIT flags missing: {sorted(expected - flagged)}",
            f"open NO_VALID_PERMIT flags not planted: {sorted(flagged - expected)}",
        ]
    )


def lone_guest_file(path: Path, passport: str, seq: int, guests: int = 1) -> None:
    """A lodging file whose first guest holds no permit at all (and ``guests - 1`` more)."""
    lines = [
        guest_line(
            seq, passport_number=passport, guest_surname="KOWALSKI", guest_given_names="Marek", nationality="POL"
        )
    ]
    lines += [
        guest_line(seq * 100_000 + n, passport_number=f"Z{seq % 10}{n:07d}", guest_surname="NOWAK", room="101")
        for n in range(1, guests)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(";".join(HOTEL_GUEST_COLUMNS) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def metadata_database() -> Iterator[str]:
    name = f"timpora_airflow_{uuid.uuid4().hex[:8]}"
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    broker = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + f"/{BROKER_DB}")
    broker.flushdb()
    yield pg_url(name)
    broker.flushdb()
    broker.close()
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _stamp(value: Any) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return float(value.timestamp())


@pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True)
def test_the_production_topology_flags_a_day_and_survives_its_faults(
    warehouse: str, s3_landing: str, s3_server: SeaweedS3, redis_queue: str, metadata_database: str, tmp_path: Path
) -> None:
    settings = get_settings()
    queue_of = {feed: f"{redis_queue}:{feed}" for feed in ("visa", "stay_permit", "hotel_guest")}
    publisher = redis.Redis.from_url(REDIS_URL)
    client = s3_server.client()

    def land(key: str, source: Path, announce: bool = True) -> None:
        client.fput_object(s3_landing, key, str(source))
        if announce:  # what MinIO's notify_redis target pushes for the feed's prefix
            publisher.rpush(queue_of[key.split("/", 1)[0]], minio_access_message(key, bucket=s3_landing))

    stack = CeleryStack(
        tmp_path / "airflow",
        {"TIMPORA_EVENT_QUEUE_URL": REDIS_URL, "TIMPORA_EVENT_QUEUE_NAME": redis_queue},
        metadata_url=metadata_database,
        broker_url=REDIS_URL.rsplit("/", 1)[0] + f"/{BROKER_DB}",
        workers=2,
    )

    def tries(dag_id: str = "ingest_hotel_guest") -> list[tuple[Any, ...]]:
        """A DAG's task tries: run, task, state, try, host, start, end."""
        return stack.metadata(
            "SELECT run_id, task_id, state, try_number, hostname, start_date, end_date FROM task_instance "
            "WHERE dag_id = :dag",
            {"dag": dag_id},
        )

    def runs_now() -> set[str]:
        return {row[0] for row in tries()}

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
        wait_for(
            lambda: len(ledger()) == len(truth["files"]) and flagged_passports() == expected,
            300,
            interval=1,
            what="the planted flags, and only those, open",
        )
        figures["upload_to_flags_seconds"] = round(time.monotonic() - started, 1)
        assert not flagged_passports("CLEARED") & expected
        assert all(status == "LOADED" for status, _, _ in ledger().values())

        # 2. A worker is killed in the middle of an ingest task: the try is found dead (the
        # heartbeat timeout) and retried on a worker; the file is loaded once.
        big = "hotel_guest/2024/10/03/LDG-167101_big.csv"
        lone_guest_file(tmp_path / "big.csv", "EX1000003", 903, guests=20_000)
        earlier = runs_now()
        land(big, tmp_path / "big.csv")
        victim: list[str] = []

        def running_on_a_worker() -> bool:
            for run_id, _, state, _, host, _, _ in tries():
                if run_id not in earlier and state == "running" and host:
                    victim.append(host.split(".")[0])
                    return True
            return False

        wait_for(running_on_a_worker, 120, interval=0.2, what="the big file's ingest task on a worker")
        time.sleep(1.0)  # into the file's processing
        killed = time.monotonic()
        stack.stop_component(victim[0], kill=True)
        stack.start_component(victim[0])
        wait_for(lambda: "EX1000003" in flagged_passports(), 300, interval=2, what="the flag after the worker died")
        figures["worker_killed_to_flag_seconds"] = round(time.monotonic() - killed, 1)
        assert ledger()[big] == ("LOADED", 20_000, 20_000)
        assert any(row[0] not in earlier and row[3] > 1 for row in tries()), "the killed try was retried"

        # 3. The triggerer is down while three files land and their events wait in Redis.
        stack.stop_component("triggerer")
        waiting = []
        for number in range(3):
            lone_guest_file(tmp_path / f"down{number}.csv", f"EX200000{number}", 910 + number)
            key = f"hotel_guest/2024/10/03/LDG-167101_down{number}.csv"
            land(key, tmp_path / f"down{number}.csv")
            waiting.append(key)
        assert publisher.llen(queue_of["hotel_guest"]) == 3
        stack.start_component("triggerer")
        wanted = {f"EX200000{number}" for number in range(3)}
        wait_for(lambda: wanted <= flagged_passports(), 300, interval=2, what="three flags after the triggerer")
        assert all(ledger()[key][0] == "LOADED" for key in waiting)
        assert publisher.llen(f"{queue_of['hotel_guest']}:inflight") == 0

        # 4. The scheduler restarts in the middle of a run.
        lone_guest_file(tmp_path / "restart.csv", "EX3000001", 920, guests=5_000)
        earlier = runs_now()
        land("hotel_guest/2024/10/03/LDG-167101_restart.csv", tmp_path / "restart.csv")
        wait_for(
            lambda: any(row[0] not in earlier and row[2] in ("queued", "running") for row in tries()),
            120,
            interval=0.2,
            what="the run to restart under",
        )
        stack.stop_component("scheduler")
        stack.start_component("scheduler")
        wait_for(lambda: "EX3000001" in flagged_passports(), 300, interval=2, what="the flag after the restart")

        # 5. Two files at once, of two landing days (two groups, or two runs): their ingests
        # run side by side on the two workers; the reconcile's runs never overlap.
        lone_guest_file(tmp_path / "para1.csv", "EX4000001", 930, guests=15_000)
        lone_guest_file(tmp_path / "para2.csv", "EX4000002", 931, guests=15_000)
        wait_for(
            lambda: not stack.metadata("SELECT 1 FROM task_instance WHERE state IN ('queued', 'running', 'scheduled')"),
            180,
            interval=0.5,
            what="both workers idle",
        )
        earlier = runs_now()
        land("hotel_guest/2024/10/03/LDG-167101_para1.csv", tmp_path / "para1.csv")
        land("hotel_guest/2024/10/04/LDG-167101_para2.csv", tmp_path / "para2.csv")
        wait_for(lambda: {"EX4000001", "EX4000002"} <= flagged_passports(), 300, interval=2, what="both parallel flags")
        ingests = [
            row
            for row in tries()
            if row[0] not in earlier and row[1] in ("collect_landed_keys", "ingest_files") and row[5] and row[6]
        ]
        figures["ingest_tries_side_by_side"] = [
            (a[4], b[4])
            for a in ingests
            for b in ingests
            if a[4] < b[4] and _stamp(a[5]) < _stamp(b[6]) and _stamp(b[5]) < _stamp(a[6])
        ]
        assert figures["ingest_tries_side_by_side"], ingests  # one on each worker, at the same time
        assert {row[4].split(".")[0] for row in tries() + tries("reconcile") if row[4]} >= set(stack.workers)
        reconcile_runs = sorted(
            (_stamp(start), _stamp(end))
            for start, end in stack.metadata(
                "SELECT start_date, end_date FROM dag_run WHERE dag_id = 'reconcile' AND end_date IS NOT NULL"
            )
            if start
        )
        assert all(end <= following for (_, end), (following, _) in itertools.pairwise(reconcile_runs))

        # 6. An object whose event was lost: the sweep registers and ingests it.
        lone_guest_file(tmp_path / "lost.csv", "EX5000001", 940)
        land("hotel_guest/2024/10/03/LDG-167101_lost.csv", tmp_path / "lost.csv", announce=False)
        stack.airflow("dags", "trigger", "sweep_landing")
        wait_for(lambda: "EX5000001" in flagged_passports(), 240, interval=2, what="the swept file's flag")

        # Nothing lost or doubled: one ledger entry per object, every row accounted for, one
        # open flag per planted guest.
        found = ledger()
        assert len(found) == len(truth["files"]) + 8
        with warehouse_engine(settings).connect() as conn:
            broken = conn.execute(
                sa.text(
                    "SELECT object_key FROM file_ledger "
                    "WHERE rows_read <> rows_loaded + rows_quarantined + rows_duplicate OR status = 'REGISTERED'"
                )
            ).all()
            doubled = conn.execute(
                sa.text("SELECT rule_code, subject_key FROM flag GROUP BY rule_code, subject_key HAVING COUNT(*) > 1")
            ).all()
        assert not broken and not doubled
    except (TimeoutError, AssertionError):
        ARTIFACTS.mkdir(exist_ok=True)
        diagnosis.write_text(warehouse_state(expected) + "\n" + stack.diagnose())
        print(diagnosis.read_text()[-20000:])
        raise
    finally:
        stack.stop()
        publisher.close()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "event_driven_latency.json").write_text(json.dumps(figures, indent=1))
    print(f"production topology: {figures}")
    assert settings.landing_backend == "s3"
