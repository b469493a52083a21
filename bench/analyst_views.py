"""Analyst-view timings on a warehouse holding a generated month.

Builds a month of landing files with the bulk generator (one permit file and one visa file
for a population, and every day of the month one lodging export of a share of them),
ingests it, reconciles, then times a full read of every analyst view (best of three).

    .venv/bin/python bench/analyst_views.py --warehouse-url postgresql+psycopg://postgres@127.0.0.1/timpora_bench
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from bench_env import bench_secrets

from timpora.config import override_environment

bench_secrets()

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--guests-per-day", type=int, default=4_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--postgresql", action="store_true", help="a scratch database on the local PostgreSQL")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="timpora-month-"))
    database = None
    url = f"sqlite:///{work / 'warehouse.db'}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    if args.postgresql:
        database = f"timpora_month_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    override_environment(data_dir=str(work / "data"), warehouse_url=url, landing_dir=str(work / "landing"))
    try:
        import numpy as np

        from timpora.generator import bulk
        from timpora.ingest.pipeline import ingest_keys
        from timpora.reconcile.engine import reconcile
        from timpora.warehouse.db import dispose_engines, warehouse_engine
        from timpora.warehouse.migrate import migrate
        from timpora.warehouse.star import view_files, view_name

        last = date(2024, 10, 31)
        first = last - timedelta(days=args.days - 1)
        landing = work / "landing"
        people = bulk.population(args.people, seed=5, as_of=first).frame
        keys = [
            f"stay_permit/{first:%Y/%m/%d}/KANIM-PLG_{first:%Y%m%d}_0800.csv",
            f"visa/{first:%Y/%m/%d}/evisa_{first:%Y%m%d}_001.jsonl",
        ]
        bulk.write_permits(landing / keys[0], people, "KANIM-PLG", last, seed=2)
        bulk.write_visas(landing / keys[1], people, last, seed=3)
        rng = np.random.default_rng(9)
        for offset in range(args.days):
            day = first + timedelta(days=offset)
            region = "16.71" if offset % 2 == 0 else "16.72"
            lodging = f"LDG-{region.replace('.', '')}{offset + 1:02d}"
            guests = people.iloc[rng.choice(len(people), args.guests_per_day, replace=False)]
            key = f"hotel_guest/{day:%Y/%m/%d}/{lodging}_{day:%Y%m%d}T1200.csv"
            bulk.write_hotel_file(landing / key, guests, lodging, region, day, seed=100 + offset)
            keys.append(key)
        engine = warehouse_engine()
        migrate(engine)
        started = time.perf_counter()
        ingest_keys(keys)
        ingested = time.perf_counter() - started
        started = time.perf_counter()
        summary = reconcile(full=True)
        reconciled = time.perf_counter() - started
        with engine.connect() as conn:
            sizes = {
                table: conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()
                for table in ("guest_stay", "fact_guest_night", "fact_permit", "fact_visa", "flag")
            }
            timings = {}
            for path in view_files():
                name = view_name(path)
                best = float("inf")
                for _ in range(3):
                    started = time.perf_counter()
                    count = len(conn.execute(sa.select(sa.text("*")).select_from(sa.table(name))).fetchall())
                    best = min(best, time.perf_counter() - started)
                timings[name] = {"rows": count, "seconds": round(best, 3)}
        print(f"month {first} .. {last} on {engine.dialect.name}: {sizes}")
        print(f"ingest {ingested:.1f} s, reconcile {reconciled:.1f} s ({summary.scope_size:,} people)")
        print(f"{'view':<42}{'rows':>9}{'seconds':>10}")
        for name, row in sorted(timings.items(), key=lambda item: -item[1]["seconds"]):
            print(f"{name:<42}{row['rows']:>9}{row['seconds']:>10.3f}")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps({"dialect": engine.dialect.name, "sizes": sizes, "views": timings}, indent=1)
            )
        dispose_engines()
    finally:
        if database:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
