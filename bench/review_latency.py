"""Queue-page and claim latencies of the review app with 100k flags in PostgreSQL.

Creates a scratch database on the machine's PostgreSQL, migrates it, bulk-loads N flags
spread over the regencies of province 16 and a few other provinces, then times requests
through the real app (ASGI, in process): queue pages (first, filtered, deep, by age), a
flag page, and claims. Prints p50/p95 per request kind.

    .venv/bin/python bench/review_latency.py --flags 100000 --json test-artifacts/review_latency.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from bench_env import bench_secrets

from timpora.config import override_environment

bench_secrets()

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password-2024"
RUNTIME_LOGIN = "timpora_bench_app"


def _flags(count: int, seed: int) -> pd.DataFrame:
    from timpora.reference import regions
    from timpora.rules.config import RuleCode

    rng = np.random.default_rng(seed)
    table = regions()
    regencies = [code for code, r in table.items() if r.level != "province" and r.province_code in ("16", "31", "51")]
    region = rng.choice(regencies, count)
    rules = np.array([code.value for code in RuleCode])
    severity = np.array(["HIGH", "MEDIUM", "LOW"])
    first = pd.Timestamp("2024-09-01") + pd.to_timedelta(rng.integers(0, 60, count), unit="D")
    status = rng.choice(["OPEN", "IN_REVIEW", "CLOSED", "CLEARED", "REOPENED"], count, p=[0.6, 0.1, 0.2, 0.08, 0.02])
    ids = [f"F{i:016X}" for i in range(count)]
    passports = [f"B{i:08d}" for i in range(count)]
    now = pd.Timestamp("2024-10-03 06:00")
    evidence = json.dumps({"stay": {"report_id": "R"}, "nights": {"count": 1}})
    return pd.DataFrame(
        {
            "flag_id": ids,
            "rule_code": rng.choice(rules, count),
            "subject_key": [p + "|R" + i for p, i in zip(passports, ids, strict=True)],
            "person_key": passports,
            "severity": rng.choice(severity, count),
            "priority": rng.integers(100, 520, count),
            "status": status,
            "passport_number": passports,
            "nationality": "AUS",
            "report_ids": [json.dumps([f"R{i}"]) for i in ids],
            "lodging_id": "LDG-167101",
            "region_code": region,
            "province_code": [code[:2] for code in region],
            "first_night": first,
            "last_night": first + pd.Timedelta(days=2),
            "night_count": 3,
            "reason_id": "Tamu tanpa izin tinggal selama 3 malam.",
            "reason_en": "Guest without a stay permit for 3 nights.",
            "evidence": evidence,
            "evidence_hash": "e" * 32,
            "material_hash": "m" * 32,
            "rule_version": "bench",
            "raised_at": now,
            "updated_at": now,
        }
    )


def _timed(samples: dict[str, list[float]], kind: str, call: Any) -> Any:
    started = time.perf_counter()
    answer = call()
    samples.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    assert answer.status_code < 400, (kind, answer.status_code, answer.text[:300])
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    name = f"timpora_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    owner_url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    # As in production: migrations as the owner, the app as a login of the runtime role
    # (the app refuses a superuser's connection in production).
    override_environment(warehouse_url=owner_url)
    try:
        from fastapi.testclient import TestClient

        from timpora.review import service as svc
        from timpora.review.app import create_app
        from timpora.warehouse.bulk import insert_frame
        from timpora.warehouse.db import dispose_engines, run_sql, transaction, warehouse_engine
        from timpora.warehouse.migrate import migrate

        engine = warehouse_engine()
        migrate(engine)
        started = time.perf_counter()
        with transaction(engine) as conn:
            insert_frame(conn, "flag", _flags(args.flags, 7))
            run_sql(conn, "security/runtime_login", {"login_name": RUNTIME_LOGIN, "login_password": PASSWORD})
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE flag"))
            conn.commit()
        loaded = time.perf_counter() - started
        runtime_url = owner_url.replace("postgres@", f"{RUNTIME_LOGIN}:{PASSWORD}@", 1)
        override_environment(warehouse_url=runtime_url, warehouse_owner_url=owner_url)
        engine = warehouse_engine()
        svc.save_user("bench_reviewer", PASSWORD, "reviewer", "16")
        svc.save_user("bench_city", PASSWORD, "reviewer", "16.71")
        client = TestClient(create_app(), base_url="https://testserver")  # production cookies are Secure
        csrf = client.post("/api/login", json={"username": "bench_reviewer", "password": PASSWORD}).json()["csrf_token"]
        samples: dict[str, list[float]] = {}
        with engine.connect() as conn:
            open_ids = [
                row[0]
                for row in conn.execute(
                    sa.text(
                        "SELECT flag_id FROM flag WHERE province_code = '16' AND status = 'OPEN' "
                        "ORDER BY flag_id LIMIT :n"
                    ),
                    {"n": args.repeats * 3},
                )
            ]
            in_scope = conn.execute(sa.text("SELECT COUNT(*) FROM flag WHERE province_code = '16'")).scalar_one()
        for _ in range(args.repeats):
            _timed(samples, "queue page 1 (HTML)", lambda: client.get("/"))
            _timed(samples, "queue page 1 (API)", lambda: client.get("/api/flags"))
            _timed(samples, "queue, my flags (HTML)", lambda: client.get("/?view=mine"))
            _timed(
                samples,
                "queue filtered (API)",
                lambda: client.get("/api/flags?rule=OVERSTAY&status=OPEN&severity=HIGH"),
            )
            _timed(samples, "queue page 200 (API)", lambda: client.get("/api/flags?page=200"))
            _timed(samples, "queue by age (API)", lambda: client.get("/api/flags?sort=age&open_only=true"))
            _timed(
                samples,
                "queue in window (API)",
                lambda: client.get("/api/flags?window=Pilkada%202024%20Sumatera%20Selatan"),
            )
        for flag_id in open_ids[: args.repeats]:
            _timed(samples, "flag page (HTML)", lambda f=flag_id: client.get(f"/flags/{f}"))
            # From the queue: the filters kept, previous/next found at its place.
            _timed(
                samples,
                "flag page, next/prev (HTML)",
                lambda f=flag_id: client.get(f"/flags/{f}?view=open&severity=HIGH&pos=500"),
            )
        for flag_id in open_ids[args.repeats : args.repeats * 2]:
            _timed(
                samples,
                "claim (API)",
                lambda f=flag_id: client.post(f"/api/flags/{f}/claim", headers={"X-CSRF-Token": csrf}),
            )
        figures = {
            kind: {
                "n": len(values),
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(float(np.percentile(values, 95)), 1),
            }
            for kind, values in samples.items()
        }
        print(f"{args.flags:,} flags in PostgreSQL ({in_scope:,} in the reviewer's province), loaded in {loaded:.1f} s")
        print(f"{'request':<26}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}")
        for kind, row in figures.items():
            print(f"{kind:<26}{row['n']:>5}{row['p50_ms']:>10}{row['p95_ms']:>10}")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"flags": args.flags, "in_scope": in_scope, "latency": figures}, indent=1))
        dispose_engines()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
