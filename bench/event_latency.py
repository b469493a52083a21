"""Seconds from a lodging's report to its flag, on a running stack.

Starts the platform as local processes (``timpora.localstack``): SeaweedFS as the bucket,
the machine's Redis for MinIO's notifications, and Airflow either embedded (LocalExecutor,
SQLite metadata and warehouse) or in production's topology (CeleryExecutor with two
workers, PostgreSQL metadata, result backend and warehouse, Redis broker). Then uploads
single lodging files, one at a time, each with one guest who holds no permit, announcing
each as MinIO's Redis target would, and times, from the upload:

* the ingest run's start (Airflow's metadata),
* the file loaded (the warehouse's ledger),
* the guest's flag visible through the review API (a reviewer's ``/api/flags``).

Prints min / median / max of each over the uploads (after one warm-up upload), and the
task tries that failed on the way (target: none).

    .venv/bin/python bench/event_latency.py --executor both --uploads 10 --json test-artifacts/event_latency.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_env import bench_secrets

bench_secrets()

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_DB = 8
PASSWORD = "bench-password-2024"
RUNTIME_LOGIN = "timpora_bench_app"
HEADER = (
    "report_id;event;lodging_id;lodging_name;lodging_region_code;guest_surname;guest_given_names;sex;"
    "date_of_birth;nationality;passport_number;passport_expiry;check_in;check_out;room;occupation;"
    "purpose_of_visit;reported_at;mrz_line1;mrz_line2"
)


def lodging_file(path: Path, seq: int, passport: str) -> None:
    row = (
        f"LDG-167101-{seq:05d};CHECK_IN;LDG-167101;Hotel Sriwijaya Palembang;16.71;KOWALSKI;Marek;L;01/02/1985;POL;"
        f"{passport};01/01/2031;02/10/2024 14:00;;101;tourist;liburan;02/10/2024 15:00;;"
    )
    path.write_text(HEADER + "\n" + row + "\n", encoding="utf-8")


def minio_message(key: str, bucket: str) -> bytes:
    """What MinIO's Redis target pushes for an upload (``format=access``)."""
    from urllib.parse import quote_plus

    record = {
        "eventName": "s3:ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key)}},
    }
    return json.dumps([{"Event": [record], "EventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]).encode()


def _epoch(value: Any) -> float:
    from datetime import UTC, datetime

    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _pg(name: str, user: str | None = None) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    if user:
        base = base.replace("postgres@", f"{user}:{PASSWORD}@", 1)
    return f"{base}/{name}"


@contextmanager
def databases(names: list[str]) -> Iterator[None]:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(executor: str, uploads: int, work: Path) -> dict[str, Any]:
    import redis

    from timpora.config import override_environment
    from timpora.localstack import AirflowStack, CeleryStack, SeaweedS3, wait_for

    tag = uuid.uuid4().hex[:8]
    queue = f"timpora-bench:{tag}"
    bucket = f"landing-{tag}"
    metadata_db, warehouse_db = f"timpora_bench_af_{tag}", f"timpora_bench_wh_{tag}"
    s3 = SeaweedS3(work / "seaweedfs").start()
    s3.client().make_bucket(bucket)
    environment = {
        "TIMPORA_DATA_DIR": str(work / "data"),
        "TIMPORA_S3_ENDPOINT": f"http://{s3.endpoint}",
        "TIMPORA_S3_ACCESS_KEY": SeaweedS3.ACCESS_KEY,
        "TIMPORA_S3_SECRET_KEY": SeaweedS3.SECRET_KEY,
        "TIMPORA_S3_BUCKET": bucket,
        "TIMPORA_EVENT_QUEUE_URL": REDIS_URL,
        "TIMPORA_EVENT_QUEUE_NAME": queue,
    }
    made = [metadata_db, warehouse_db] if executor == "celery" else []
    publisher = redis.Redis.from_url(REDIS_URL)
    with databases(made):
        if executor == "celery":
            environment |= {
                "TIMPORA_WAREHOUSE_URL": _pg(warehouse_db, RUNTIME_LOGIN),
                "TIMPORA_WAREHOUSE_OWNER_URL": _pg(warehouse_db),
            }
        else:
            environment |= {"TIMPORA_WAREHOUSE_URL": f"sqlite:///{work / 'warehouse.db'}"}
        settings = override_environment(
            **{name.removeprefix("TIMPORA_").lower(): value for name, value in environment.items()}
        )
        from timpora.review import service as svc
        from timpora.warehouse.db import owner_engine, run_sql, transaction, warehouse_engine
        from timpora.warehouse.migrate import migrate

        migrate(owner_engine(settings))
        if executor == "celery":
            with transaction(owner_engine(settings)) as conn:
                run_sql(conn, "security/runtime_login", {"login_name": RUNTIME_LOGIN, "login_password": PASSWORD})
        svc.save_user("bench_reviewer", PASSWORD, "reviewer", "16")
        if executor == "celery":
            broker = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + f"/{BROKER_DB}")
            broker.flushdb()
            stack: AirflowStack = CeleryStack(
                work / "airflow",
                environment,
                metadata_url=_pg(metadata_db),
                broker_url=f"redis://127.0.0.1:6379/{BROKER_DB}",
            )
        else:
            stack = AirflowStack(work / "airflow", environment)
        from fastapi.testclient import TestClient

        from timpora.review.app import create_app

        review = TestClient(create_app(), base_url="https://testserver")
        review.post("/api/login", json={"username": "bench_reviewer", "password": PASSWORD}).raise_for_status()
        engine = warehouse_engine(settings)

        def loaded(key: str) -> bool:
            with engine.connect() as conn:
                return (
                    conn.execute(
                        sa.text("SELECT COUNT(*) FROM file_ledger WHERE object_key = :k AND status = 'LOADED'"),
                        {"k": key},
                    ).scalar()
                    == 1
                )

        def flagged(passport: str) -> bool:
            flags = review.get("/api/flags?rule=NO_VALID_PERMIT&page_size=200").json()["flags"]
            return any(flag["passport_number"] == passport for flag in flags)

        def run_started(after: float) -> float | None:
            starts = stack.metadata(
                "SELECT start_date FROM dag_run WHERE dag_id = 'ingest_hotel_guest' AND start_date IS NOT NULL"
            )
            later = [stamp for stamp in (_epoch(row[0]) for row in starts) if stamp >= after]
            return min(later) if later else None

        samples: dict[str, list[float]] = {"run start": [], "file loaded": [], "flag in the review API": []}
        try:
            stack.start()
            wait_for(lambda: stack.log("triggerer").count("starting") >= 3, 120, what="the landing watchers")
            for number in range(uploads + 1):  # the first is a warm-up
                source = work / f"guest{number}.csv"
                passport = f"EV{number:07d}"
                lodging_file(source, 700 + number, passport)
                key = f"hotel_guest/2024/10/03/LDG-167101_latency{number:03d}.csv"
                uploaded = time.time()
                s3.client().fput_object(bucket, key, str(source))
                publisher.rpush(f"{queue}:hotel_guest", minio_message(key, bucket))
                timings: dict[str, float] = {}
                deadline = time.time() + 180
                while time.time() < deadline and len(timings) < 3:
                    if "run start" not in timings and (start := run_started(uploaded)) is not None:
                        timings["run start"] = start - uploaded
                    if "file loaded" not in timings and loaded(key):
                        timings["file loaded"] = time.time() - uploaded
                    if "flag in the review API" not in timings and flagged(passport):
                        timings["flag in the review API"] = time.time() - uploaded
                    time.sleep(0.2)
                if len(timings) < 3:
                    raise TimeoutError(f"upload {number}: {timings} after 180 s\n{stack.diagnose()}")
                if number:
                    for name, seconds in timings.items():
                        samples[name].append(seconds)
                print(
                    f"  {executor} upload {number}: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
                    flush=True,
                )
            failed = len(
                stack.metadata(
                    "SELECT 1 FROM task_instance WHERE state IN ('failed', 'up_for_retry') OR try_number > 1"
                )
            )
        finally:
            stack.stop()
            s3.stop()
            publisher.close()
            from timpora.warehouse.db import dispose_engines

            dispose_engines()
    return {
        "executor": executor,
        "uploads": uploads,
        "failed_task_tries": failed,
        "seconds": {
            name: {"min": round(min(v), 1), "median": round(statistics.median(v), 1), "max": round(max(v), 1)}
            for name, v in samples.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executor", choices=("local", "celery", "both"), default="both")
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    executors = ("local", "celery") if args.executor == "both" else (args.executor,)
    results = []
    for executor in executors:
        with tempfile.TemporaryDirectory(prefix=f"timpora-latency-{executor}-") as folder:
            results.append(measure(executor, args.uploads, Path(folder)))
    print(f"\nseconds from upload, over {args.uploads} single-file uploads each (after one warm-up)")
    print(f"{'stack':<34}{'to':<26}{'min':>7}{'median':>8}{'max':>7}")
    names = {"local": "embedded (LocalExecutor, SQLite)", "celery": "production (Celery, PostgreSQL)"}
    for result in results:
        for name, figures in result["seconds"].items():
            print(
                f"{names[result['executor']]:<34}{name:<26}{figures['min']:>7}{figures['median']:>8}{figures['max']:>7}"
            )
        print(f"{'':<34}failed task tries: {result['failed_task_tries']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
