"""A killed replay never breaks the next: ``kill -9`` of a real ``timpora replay`` at seeded
moments spread over its phases, each re-run to completion and compared with a clean run's
canonical warehouse; and two replays started at the same instant on a fresh data folder.

Each kill waits for its phase to show in the warehouse (or in Airflow's metadata folder),
then a seeded few milliseconds more: the set-up (Airflow's first migration), the first file
registered, the first file merged, the reconcile's claim taken, and the flags committed
(before the command has printed them). Five per engine, on a fresh warehouse each.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_RUNTIME_LOGIN, SAMPLES, _admin_engine, pg_url

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
TIMPORA = Path(sys.executable).parent / "timpora"
SEED = 20241003
# Columns that say when something happened on this machine, and ids made from that time:
# not the warehouse's content.
_WALL_CLOCK = {"at", "event_id", "run_id", "audit_id", "claimed_by", "last_run_id"}
_SKIPPED_TABLES = {"reconcile_state", "audit_log", "audit_chain", "schema_migration"}


def canonical(url: str) -> dict[str, tuple[int, str]]:
    """Every table's rows without their wall-clock columns, hashed."""
    engine = sa.create_engine(url)
    snapshot: dict[str, tuple[int, str]] = {}
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            for table in sorted(inspector.get_table_names()):
                if table in _SKIPPED_TABLES:
                    continue
                columns = [
                    c["name"]
                    for c in inspector.get_columns(table)
                    if not (c["name"] in _WALL_CLOCK or c["name"].endswith("_at"))
                ]
                rows = conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table}")).fetchall()
                text = "\n".join(sorted(repr(tuple(str(value) for value in row)) for row in rows))
                snapshot[table] = (len(rows), hashlib.sha256(text.encode()).hexdigest())
    finally:
        engine.dispose()
    return snapshot


class Warehouses:
    """A fresh warehouse per run: a SQLite file, or a PostgreSQL database (dropped after)."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind, self.root = kind, root
        self.made: list[str] = []

    def fresh(self) -> tuple[dict[str, str], str]:
        """Environment for a run on a fresh warehouse, and the URL the test reads it with."""
        name = f"timpora_crash_{uuid.uuid4().hex[:10]}"
        data = self.root / name
        environment = {"TIMPORA_DATA_DIR": str(data)}
        if self.kind == "sqlite":
            return environment, f"sqlite:///{data / 'warehouse.db'}"
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        environment["TIMPORA_WAREHOUSE_URL"] = pg_url(name, PG_RUNTIME_LOGIN)
        environment["TIMPORA_WAREHOUSE_OWNER_URL"] = pg_url(name)
        return environment, pg_url(name)

    def drop(self) -> None:
        with _admin_engine().connect() as conn:
            for name in self.made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouses(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouses]:
    if request.param == "postgresql":
        request.getfixturevalue("pg_template")  # makes the runtime login the runs connect as
    made = Warehouses(request.param, tmp_path)
    yield made
    if request.param == "postgresql":
        made.drop()


def replay(landing: Path, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **environment}
    for name in ("TIMPORA_WAREHOUSE_URL", "TIMPORA_WAREHOUSE_OWNER_URL", "TIMPORA_AIRFLOW_HOME"):
        if name not in environment:
            env.pop(name, None)
    return subprocess.Popen(
        [str(TIMPORA), "replay", str(landing)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[bytes], timeout: float = 300) -> str:
    output, _ = process.communicate(timeout=timeout)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-3000:]
    return text


def scalar(url: str, statement: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(statement)).scalar() or 0)
    except sa.exc.SQLAlchemyError:
        return 0  # not there yet
    finally:
        engine.dispose()


def phases() -> list[tuple[str, Callable[[Path, str], bool]]]:
    def airflow_migrating(data: Path, url: str) -> bool:
        return (data / "airflow").exists()

    def ledger(statement: str, at_least: int) -> Callable[[Path, str], bool]:
        return lambda data, url: scalar(url, statement) >= at_least

    return [
        ("set-up: Airflow's first migration", airflow_migrating),
        ("ingest: a file registered", ledger("SELECT COUNT(*) FROM file_ledger", 1)),
        ("merge: a file merged", ledger("SELECT COUNT(*) FROM file_ledger WHERE status = 'LOADED'", 1)),
        ("reconcile: its claim taken", ledger("SELECT COUNT(*) FROM reconcile_scope", 1)),
        ("reconcile: flags committed", ledger("SELECT COUNT(*) FROM flag", 1)),
    ]


def test_a_replay_killed_at_any_moment_reruns_to_the_same_warehouse(warehouses: Warehouses, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing)
    files = sum(1 for path in landing.rglob("*") if path.is_file())
    environment, url = warehouses.fresh()
    finish(replay(landing, environment))
    clean = canonical(url)
    assert clean["flag"][0] >= 2 and clean["file_ledger"][0] == files

    rng = random.Random(SEED + (warehouses.kind == "postgresql"))
    report: list[str] = []
    for phase, reached in phases():
        environment, url = warehouses.fresh()
        data = Path(environment["TIMPORA_DATA_DIR"])
        process = replay(landing, environment)
        started = time.monotonic()
        while process.poll() is None and not reached(data, url) and time.monotonic() - started < 120:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.2))
        finished_first = process.poll() is not None
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        report.append(
            f"{phase}: killed after {time.monotonic() - started:.1f} s" + (" (had ended)" if finished_first else "")
        )
        finish(replay(landing, environment))
        assert canonical(url) == clean, (phase, report)
    print("\n".join(report))


def test_two_replays_started_at_once_on_a_fresh_folder_both_succeed(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLES, landing)
    environment = {"TIMPORA_DATA_DIR": str(tmp_path / "data")}
    first, second = replay(landing, environment), replay(landing, environment)
    outputs = [finish(first), finish(second)]
    url = f"sqlite:///{tmp_path / 'data' / 'warehouse.db'}"
    assert scalar(url, "SELECT COUNT(*) FROM file_ledger WHERE status = 'LOADED'") == 4
    assert any("waiting" in output for output in outputs) or all("reconcile: success" in o for o in outputs)
    reference = tmp_path / "reference"
    environment = {"TIMPORA_DATA_DIR": str(reference)}
    finish(replay(landing, environment))
    assert canonical(url) == canonical(f"sqlite:///{reference / 'warehouse.db'}")
