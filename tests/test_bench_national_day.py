"""The national peak-day benchmark runs as the README says and prints what it promises.

The real workload takes minutes (a year of 2 million permits and visas); here the same
script runs end to end at a size a test can afford, on both engines, so a change to the
pipeline or the reconcile that breaks the harness is caught by CI, not by the next person
who wants figures. Only the shape of the output is checked: seconds are not asserted
(machines are shared and noisy; the script's figures are read, not tested).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.conftest import PG_ADMIN_URL, REPO
from timpora.ingest.pipeline import MERGE_PARTS, merge_stage

SCALES = (0.005, 0.01)
HOTEL_FILES = 12  # not the default 8: the knob reaches the day's files
PEAK = {"hotel_guest": 200_000, "visa": 40_000, "stay_permit": 30_000}
# Every stage the issue names (parse and normalise, validate and quarantine, merge, link
# and rules, flag upsert), with the harness's finer split of the merge and the reconcile.
STAGES = (
    "parse and normalise",
    "validate and quarantine",
    "stage rows",
    "merge",
    "guest nights",
    "identity linking",
    "rules",
    "flag upsert",
    "analyst star refresh (people)",
)


def test_the_harness_prints_each_stage_the_baselines_and_the_cost_growth_on_both_engines(tmp_path: Path) -> None:
    report = tmp_path / "national_day.json"
    before = _bench_databases()
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "national_day.py"),
            "--base-permits",
            "3000",
            "--base-visas",
            "3000",
            "--scales",
            ",".join(str(s) for s in SCALES),
            "--hotel-files",
            str(HOTEL_FILES),
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=os.environ | {"TIMPORA_BENCH_PG_URL": PG_ADMIN_URL},
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(report.read_text())
    assert results["workload"]["hotel_files"] == HOTEL_FILES

    for dialect in ("postgresql", "sqlite"):
        assert results["base"][dialect]["permits"] == 3000
        runs = results["runs"][dialect]
        assert [run["scale"] for run in runs] == list(SCALES)
        for run in runs:
            assert run["rows"] == {feed: int(rows * run["scale"]) for feed, rows in PEAK.items()}
            # Two workers, each file in one group: the visas, the permits and the lodging
            # files (small here, so grouped: fewer groups than files).
            files: Counter[str] = Counter()
            for group in run["files"]:
                files[group["key"].split("/", 1)[0]] += group["files"]
            assert files == {"stay_permit": 1, "visa": 1, "hotel_guest": HOTEL_FILES}
            assert len(run["files"]) < HOTEL_FILES + 2
            assert len({f["worker"] for f in run["files"]}) == 2
            for name in STAGES:
                figures = run["stages"][name]
                assert figures["seconds"] > 0, (dialect, name)
                assert figures["rows"] > 0, (dialect, name)  # so rows/s means something
            # The merge's parts are timed inside it, each in every run.
            parts = [run["stages"][merge_stage(part)]["seconds"] for part in MERGE_PARTS]
            assert all(seconds > 0 for seconds in parts), (dialect, parts)
            assert sum(parts) <= run["stages"]["merge"]["seconds"]
            assert run["stages"]["guest nights"]["rows"] == run["reconcile"]["nights"] > 0
            # The Data Docs index is rebuilt once, after the day's files (the ingest DAGs' last task).
            assert run["stages"]["data docs index"]["seconds"] > 0
            assert run["total_seconds"] > run["ingest_seconds"] > 0
            assert run["peak_rss_mb"] > 0
            baselines = run["baselines"]
            assert baselines["hotel_rows"] == run["rows"]["hotel_guest"]
            assert baselines["to_sql_hotel_seconds"] > 0
            assert baselines["gx_summary_hotel_seconds"] > 0
            if dialect == "postgresql":
                assert baselines["copy_floor_hotel_seconds"] > 0
                assert baselines["indexed_floor_hotel_seconds"] > 0
                # The day's lodging events that were loaded: the file's rows less those
                # quarantined or exact duplicates.
                assert 0 < baselines["indexed_floor_hotel_rows"] <= run["rows"]["hotel_guest"]
            else:
                assert baselines["copy_floor_hotel_seconds"] is None
                assert baselines["indexed_floor_hotel_seconds"] is None

    printed = done.stdout
    for dialect in ("postgresql", "sqlite"):
        assert f"{dialect}: cost growth (seconds per 1,000 day rows)" in printed
        for scale in SCALES:
            assert f"{dialect}, x{scale}:" in printed
    assert printed.count("baselines: pandas to_sql") == 2 * len(SCALES)
    assert printed.count("floor with the warehouse's indexes") == len(SCALES)  # PostgreSQL only
    assert printed.count("total (ingest + reconcile)") == 2 * len(SCALES)
    assert printed.count("of which storing the rows") == 2 * len(SCALES)
    for part in MERGE_PARTS:
        assert printed.count(f"\n    {part} ") == 2 * len(SCALES), part
    # Nothing of the runs is left on the server: the year and each run's copy are dropped.
    assert _bench_databases() <= before, _bench_databases() - before


def _bench_databases() -> set[str]:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as conn:
            return set(
                conn.execute(
                    sa.text(
                        "SELECT datname FROM pg_database "
                        "WHERE datname LIKE 'timpora\\_year\\_%' OR datname LIKE 'timpora\\_peak\\_%'"
                    )
                ).scalars()
            )
    finally:
        admin.dispose()
