"""Ingest throughput per feed: rows per second and peak memory, on SQLite and PostgreSQL.

For each feed a file of ``--rows`` rows (default 1,000,000) is generated in the FEEDS.md
format, with 0.2% contract-breaking rows, then ingested by the platform's own path
(register, parse, normalise, validate with GX, quarantine, stage, merge, conservation
check) in a fresh process against a fresh warehouse. Each run is a separate process so
its peak resident memory is its own.

    .venv/bin/python bench/ingest_throughput.py [--rows 1000000] [--db sqlite,postgresql]
        [--feeds hotel_guest,stay_permit,visa] [--json bench/results/ingest.json]

PostgreSQL runs need a server; ``--pg-url`` (default: the local one, trust auth) points
at a database the benchmark may create databases in.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

DAY = date(2024, 10, 3)
KEYS = {
    "hotel_guest": "hotel_guest/2024/10/03/LDG-167101_bench.csv",
    "stay_permit": "stay_permit/2024/10/03/KANIM-PLG_bench.csv",
    "visa": "visa/2024/10/03/evisa_bench.jsonl",
}


def generate(landing: Path, rows: int, feeds: list[str]) -> None:
    from timpora.generator import bulk

    people = bulk.population(rows, seed=11, as_of=DAY).frame
    if "hotel_guest" in feeds:
        bulk.write_hotel_file(landing / KEYS["hotel_guest"], people, "LDG-167101", "16.71", DAY, seed=1)
    if "stay_permit" in feeds:
        bulk.write_permits(landing / KEYS["stay_permit"], people, "KANIM-PLG", DAY, seed=2)
    if "visa" in feeds:
        bulk.write_visas(landing / KEYS["visa"], people, DAY, seed=3)


def run_one() -> None:
    """Child process: migrate, ingest one key, print a JSON line with the figures."""
    import logging

    logging.disable(logging.WARNING)
    from timpora.ingest.pipeline import ingest_key
    from timpora.warehouse.db import warehouse_engine
    from timpora.warehouse.migrate import migrate

    migrate(warehouse_engine())
    started = time.perf_counter()
    result = ingest_key(sys.argv[2])
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb(), **result.as_dict()}))


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: on Linux that survives
    ``exec`` and would report the parent's peak; ``VmHWM`` belongs to this address space."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description="ingest throughput per feed")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--feeds", default="hotel_guest,stay_permit,visa")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    feeds = args.feeds.split(",")
    databases = args.db.split(",")

    import sqlalchemy as sa

    results = []
    with tempfile.TemporaryDirectory(prefix="timpora-bench-") as folder:
        root = Path(folder)
        started = time.perf_counter()
        generate(root / "landing", args.rows, feeds)
        print(f"generated {args.rows:,} rows per feed in {time.perf_counter() - started:.0f} s")
        for database in databases:
            for feed in feeds:
                data_dir = root / f"{database}-{feed}"
                environment = {
                    **os.environ,
                    "TIMPORA_DATA_DIR": str(data_dir),
                    "TIMPORA_LANDING_DIR": str(root / "landing"),
                }
                environment.pop("TIMPORA_S3_ENDPOINT", None)
                name = None
                if database == "postgresql":
                    name = f"timpora_bench_{uuid.uuid4().hex[:8]}"
                    admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    environment["TIMPORA_WAREHOUSE_URL"] = args.pg_url.rsplit("/", 1)[0] + "/" + name
                else:
                    environment.pop("TIMPORA_WAREHOUSE_URL", None)
                try:
                    completed = subprocess.run(
                        [sys.executable, __file__, "--child", KEYS[feed]],
                        env=environment,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                finally:
                    if name:
                        with admin.connect() as conn:
                            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
                if completed.returncode != 0:
                    raise SystemExit(f"{database}/{feed} failed:\n{completed.stderr[-3000:]}")
                figures = json.loads(completed.stdout.strip().splitlines()[-1])
                figures.update(database=database, feed=feed, rows_per_second=figures["rows_read"] / figures["seconds"])
                results.append(figures)
                print(
                    f"  {database:<11}{feed:<13}{figures['rows_read']:>10,} rows {figures['seconds']:>7.1f} s "
                    f"{figures['rows_per_second']:>9,.0f} rows/s  peak {figures['peak_mb']:>6,.0f} MB  "
                    f"(loaded {figures['rows_loaded']:,}, quarantined {figures['rows_quarantined']:,})"
                )
    print(f"\n{'database':<12}{'feed':<14}{'rows':>11}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}")
    for r in results:
        print(
            f"{r['database']:<12}{r['feed']:<14}{r['rows_read']:>11,}{r['seconds']:>9.1f}{r['rows_per_second']:>10,.0f}"
            f"{r['peak_mb']:>9,.0f}"
        )
    if args.json_path:
        Path(args.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_path).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        run_one()
    else:
        main()
