"""A national peak day, end to end, against a warehouse that already holds a year.

The workload (scaled by --scale, default the three runs 0.25, 1 and 4):
  hotel-guest events 200,000, visas 40,000, stay permits 30,000 for the day, landing on a
  warehouse holding --base-permits stay permits and --base-visas visas (default 2,000,000
  each). Most of the day's guests are people of the year (their permits are in the
  warehouse); the rest arrive with the day's visas and permits.

Each dialect's year is built once (generated with the bulk generator, ingested through the
platform, reconciled) and copied for every run, so each run lands on the same warehouse.
The day's files are generated before its run starts, as they land from upstream; each run
is a separate process (its peak RSS is the platform's own) and prints per stage: rows,
seconds, rows/s; then the total, the peak memory and two baselines measured in the same
process on the same rows: pandas ``to_sql`` of the day's hotel rows, and GX ``SUMMARY``
validation of them. Results are also written as JSON.

    .venv/bin/python bench/national_day.py                       # PostgreSQL and SQLite, x0.25, x1, x4
    .venv/bin/python bench/national_day.py --dialects postgresql --scales 1 --base-permits 200000 --base-visas 200000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_env import bench_secrets
from ingest_throughput import peak_rss_mb

bench_secrets()

DAY = date(2024, 10, 3)
# The PostgreSQL server's maintenance database, where the year and each run's copy are created.
ADMIN_URL = os.environ.get("TIMPORA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PEAK = {"hotel_guest": 200_000, "visa": 40_000, "stay_permit": 30_000}
DAY_KEYS = "day_keys.json"  # the landed day's object keys, written beside its landing folder
# Regional aggregators' exports by default: few large files. Lodgings also report on their
# own (one file per lodging, FEEDS.md), which --hotel-files shows: small files are ingested in groups.
HOTEL_FILES = 8


def _environment(url: str, work: Path) -> None:
    from timpora.config import override_environment

    override_environment(data_dir=str(work / "data"), warehouse_url=url, landing_dir=str(work / "landing"))


def build_year(url: str, work: Path, permits: int, visas: int) -> dict[str, Any]:
    """The warehouse of a year: permits and visas of a population, ingested and reconciled."""
    _environment(url, work)
    from timpora.generator import bulk
    from timpora.ingest.pipeline import ingest_keys
    from timpora.reconcile.engine import reconcile
    from timpora.warehouse.db import dispose_engines, warehouse_engine
    from timpora.warehouse.migrate import migrate

    migrate(warehouse_engine())
    year_day = DAY - timedelta(days=1)
    people = bulk.population(max(permits, visas), seed=101, as_of=year_day).frame
    people.to_parquet(work / "year_people.parquet")
    landing = work / "landing"
    keys = [
        f"stay_permit/{year_day:%Y/%m/%d}/KANIM-JKS_{year_day:%Y%m%d}_year.csv",
        f"visa/{year_day:%Y/%m/%d}/evisa_{year_day:%Y%m%d}_year.jsonl",
    ]
    started = time.perf_counter()
    bulk.write_permits(landing / keys[0], people.iloc[:permits], "KANIM-JKS", year_day, seed=102, bad_share=0)
    bulk.write_visas(landing / keys[1], people.iloc[:visas], year_day, seed=103, bad_share=0)
    ingest_keys(keys)
    reconcile(full=True)
    seconds = time.perf_counter() - started
    dispose_engines()
    if url.startswith("postgresql"):
        # A warehouse that has held a year has been vacuumed and analysed by autovacuum;
        # a template copied minutes after its load has not, and its plans would be a guess.
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        engine.dispose()
    return {"permits": permits, "visas": visas, "seconds": round(seconds, 1)}


def write_day(work: Path, scale: float, hotel_files: int = HOTEL_FILES) -> list[str]:
    """The day's files: visas, permits, and hotel exports of year people and new arrivals."""
    import numpy as np
    import pandas as pd

    from timpora.generator import bulk

    landing = work / "landing"
    events = int(PEAK["hotel_guest"] * scale)
    new_people = max(int(PEAK["visa"] * scale), int(PEAK["stay_permit"] * scale))
    arrivals = bulk.population(new_people, seed=int(7 + scale * 100), as_of=DAY).frame
    arrivals["passport_number"] = "N" + arrivals["passport_number"].str.slice(1)  # not a year passport
    year = pd.read_parquet(work / "year_people.parquet")
    rng = np.random.default_rng(11)
    returning = year.iloc[rng.choice(len(year), max(0, events - new_people), replace=False)]
    guests = pd.concat([arrivals, returning], ignore_index=True).iloc[:events]
    keys = [
        f"visa/{DAY:%Y/%m/%d}/evisa_{DAY:%Y%m%d}_peak.jsonl",
        f"stay_permit/{DAY:%Y/%m/%d}/KANIM-PLG_{DAY:%Y%m%d}_peak.csv",
    ]
    bulk.write_visas(landing / keys[0], arrivals.iloc[: int(PEAK["visa"] * scale)], DAY, seed=21)
    bulk.write_permits(landing / keys[1], arrivals.iloc[: int(PEAK["stay_permit"] * scale)], "KANIM-PLG", DAY, seed=22)
    for index, part in enumerate(np.array_split(np.arange(len(guests)), hotel_files)):
        region = ("16.71", "16.72", "31.74", "51.71")[index % 4]
        lodging = f"LDG-{region.replace('.', '')}{index + 1:02d}"
        key = f"hotel_guest/{DAY:%Y/%m/%d}/{lodging}_{DAY:%Y%m%d}T1200.csv"
        bulk.write_hotel_file(landing / key, guests.iloc[part], lodging, region, DAY, seed=30 + index)
        keys.append(key)
    return keys


def _ingest_group(
    keys: list[str],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]], int, float, tuple[float, float]]:
    """One group of files in a worker process, as one mapped ``ingest_files`` task does it."""
    from timpora import metrics
    from timpora.ingest.pipeline import ingest_group

    metrics.reset()
    began = time.perf_counter()  # the system's monotonic clock: comparable across the workers
    results = ingest_group(keys)
    ended = time.perf_counter()
    peak_mb = peak_rss_mb()
    return [result.as_dict() for result in results], metrics.snapshot(), os.getpid(), peak_mb, (began, ended)


def _group_label(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]} and {len(keys) - 1} more"


def _publish_docs_index() -> dict[str, dict[str, float]]:
    """The ingest DAGs' last task, in a worker whose GX is already imported: the Data Docs
    index, rebuilt once after the run's files."""
    from timpora import metrics
    from timpora.ingest.pipeline import publish_docs_index

    metrics.reset()
    publish_docs_index()
    return metrics.snapshot()


def ingest_concurrently(
    keys: list[str], workers: int
) -> tuple[list[dict[str, Any]], dict[str, Any], float, list[dict[str, Any]]]:
    """The day's files ingested by ``workers`` processes at once, as the ingest DAGs' mapped
    tasks run them (each feed's DAG, up to 4 groups of files of a run at a time).

    Returns the results, the stage figures summed over the workers (seconds of work, so
    more than the wall time when workers overlap), the sum of the workers' peak RSS, and
    each file's worker and seconds from the start of the ingest to its start and end.
    Workers are forked after the heavy imports and with no connection open, as Airflow's
    local executor forks its task processes.
    """
    import multiprocessing
    from collections import defaultdict

    from timpora.config import get_settings
    from timpora.ingest.pipeline import plan_groups
    from timpora.warehouse.db import dispose_engines

    landing = get_settings().landing_dir
    dispose_engines()
    stages: dict[str, dict[str, float]] = defaultdict(lambda: {"seconds": 0.0, "rows": 0.0})
    peaks: dict[int, float] = {}
    results = []
    files = []
    # In the groups an ingest run maps over; the largest first, so that no worker is left
    # with a big one at the end.
    sizes = {key: (landing / key).stat().st_size for key in keys}
    groups = sorted(plan_groups(sizes, get_settings()), key=lambda group: -sum(sizes[key] for key in group))
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for group_results, figures, pid, peak_mb, (began, ended) in pool.imap_unordered(_ingest_group, groups):
            results += group_results
            files.append(
                {
                    "key": _group_label([result["object_key"] for result in group_results]),
                    "files": len(group_results),
                    "rows": sum(result["rows_read"] for result in group_results),
                    "worker": pid,
                    "start": round(began - started, 2),
                    "end": round(ended - started, 2),
                    "stages": {name: round(figure["seconds"], 2) for name, figure in figures.items()},
                }
            )
            for name, figure in figures.items():
                stages[name]["seconds"] += figure["seconds"]
                stages[name]["rows"] += figure["rows"]
            peaks[pid] = max(peaks.get(pid, 0.0), peak_mb)
        for name, figure in pool.apply(_publish_docs_index).items():
            stages[name]["seconds"] += figure["seconds"]
    return results, dict(stages), sum(peaks.values()), sorted(files, key=lambda f: (f["worker"], f["start"]))


def run_day(url: str, work: Path, scale: float, workers: int = 1) -> dict[str, Any]:
    """One measured run (in its own process): ingest the day and reconcile, stage by stage."""
    _environment(url, work)
    import pandas as pd

    from timpora import metrics
    from timpora.feeds.contracts import Feed, parse_landing_key
    from timpora.feeds.parsing import FileReadState, read_feed_file
    from timpora.ingest.pipeline import ingest_keys, validation_parameters
    from timpora.reconcile.engine import reconcile
    from timpora.validation.runner import validation_frame, validator_for
    from timpora.warehouse.db import dispose_engines, engine_for_url, warehouse_engine
    from timpora.warehouse.migrate import migrate

    # As the DAG tasks do before they work (a cached year may predate a migration); untimed.
    migrate(warehouse_engine())
    # The day's files landed before this process started (see main): generating them reads
    # the year's two million people, which is the harness's memory, not the platform's.
    keys: list[str] = json.loads((work / DAY_KEYS).read_text())
    statements = _time_statements() if os.environ.get("TIMPORA_BENCH_STATEMENTS") else None
    rows = {feed: 0 for feed in PEAK}
    metrics.reset()
    workers_peak_mb = 0.0
    main_before_ingest_mb = peak_rss_mb()
    started = time.perf_counter()
    files: list[dict[str, Any]] = []
    if workers > 1:
        results, ingest_stages, workers_peak_mb, files = ingest_concurrently(keys, workers)
    else:
        results, ingest_stages = [r.as_dict() for r in ingest_keys(keys)], metrics.snapshot()
        metrics.reset()
    for result in results:
        rows[result["feed"]] += result["rows_read"]
    ingested = time.perf_counter() - started
    summary = reconcile()
    total = time.perf_counter() - started
    stages = ingest_stages | metrics.snapshot()
    if statements is not None:
        for text, seconds in sorted(statements.items(), key=lambda item: -item[1])[:30]:
            print(f"{seconds:8.2f} s  {text}", file=sys.stderr)
    main_peak_mb = peak_rss_mb()
    # At most this much at once: the workers run while this process waits (at the size it
    # had then); the reconcile runs here after they have exited. Forked workers' RSS also
    # counts the pages they share with this process, so this bound is on the high side.
    peak_mb = max(main_peak_mb, main_before_ingest_mb + workers_peak_mb)

    # Baselines on the same hotel rows, in the same process.
    from timpora.config import get_settings

    settings = get_settings()
    frames = []
    for key in keys:
        landing = parse_landing_key(key)
        if landing.feed is Feed.HOTEL_GUEST:
            frames += [
                b.frame for b in read_feed_file(landing.feed, work / "landing" / key, landing, 10**7, FileReadState())
            ]
    hotel = pd.concat(frames, ignore_index=True)
    validator = validator_for(settings.gx_dir, settings.expectations_dir, build_data_docs=False)
    validator._checkpoint(Feed.HOTEL_GUEST)  # adds the suite's validation definition
    import great_expectations as gx

    # The baseline is GX SUMMARY on every column, whatever the platform's validator asks for.
    checkpoint = validator.context.checkpoints.add(
        gx.Checkpoint(
            name="bench_summary",
            validation_definitions=[validator.context.validation_definitions.get(f"{Feed.HOTEL_GUEST.value}_batch")],
            result_format="SUMMARY",
        )
    )
    started = time.perf_counter()
    checkpoint.run(
        batch_parameters={"dataframe": validation_frame(hotel)},
        expectation_parameters=dict(validation_parameters(parse_landing_key(keys[-1]))),
    )
    gx_summary = time.perf_counter() - started
    raw = pd.concat(
        [pd.read_csv(work / "landing" / k, sep=";", dtype=str) for k in keys if k.startswith("hotel_guest/")],
        ignore_index=True,
    )
    engine = engine_for_url(url)
    started = time.perf_counter()
    raw.to_sql("bench_to_sql_baseline", engine, if_exists="replace", index=False, chunksize=10_000)
    to_sql = time.perf_counter() - started
    copy_floor = _copy_floor(engine, [work / "landing" / k for k in keys if k.startswith("hotel_guest/")])
    indexed_floor = _indexed_floor(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE bench_to_sql_baseline"))
    dispose_engines()
    return {
        "scale": scale,
        "rows": rows,
        "stages": stages,
        "ingest_seconds": ingested,
        "total_seconds": total,
        "peak_rss_mb": round(peak_mb),
        "main_peak_rss_mb": round(main_peak_mb),
        "workers": workers,
        "workers_peak_rss_mb": round(workers_peak_mb),
        "files": files,
        "reconcile": {"people": summary.scope_size, "nights": summary.nights, "raised": summary.raised},
        "baselines": {
            "to_sql_hotel_seconds": to_sql,
            "copy_floor_hotel_seconds": copy_floor,
            "indexed_floor_hotel_seconds": indexed_floor[0] if indexed_floor else None,
            "indexed_floor_hotel_rows": indexed_floor[1] if indexed_floor else None,
            "gx_summary_hotel_seconds": gx_summary,
            "hotel_rows": len(raw),
        },
    }


def _copy_floor(engine: sa.Engine, paths: list[Path]) -> float | None:
    """Seconds PostgreSQL's own ``COPY`` takes to load the hotel files' bytes, unparsed and
    unchecked, into an empty table without indexes (the to_sql table's text columns): the
    floor under any load of these rows on this server. None on SQLite (no COPY)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bench_copy_floor AS SELECT * FROM bench_to_sql_baseline WHERE FALSE"))
    started = time.perf_counter()
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for path in paths:
            statement = "COPY bench_copy_floor FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
            with cursor.copy(statement) as copy, path.open("rb") as body:
                while chunk := body.read(1 << 20):
                    copy.write(chunk)
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE bench_copy_floor"))
    return seconds


def _indexed_floor(engine: sa.Engine) -> tuple[float, int] | None:
    """Seconds PostgreSQL takes to write the day's merged lodging events, already typed and
    on the server, into an empty table shaped like ``hotel_guest_event`` with its indexes
    (primary key, unique row hash, report id), and how many rows: the least any merge that
    keeps those indexes pays to store the rows, with no staging, no duplicate check, no
    fold and no marks. A logged table, as the warehouse's. None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE bench_indexed_floor "
                "(LIKE hotel_guest_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
        )
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            # The bench's year holds no lodging history: every event in the table is the day's.
            rows = conn.execute(sa.text("INSERT INTO bench_indexed_floor SELECT * FROM hotel_guest_event")).rowcount
        seconds = time.perf_counter() - started
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE bench_indexed_floor"))
    return seconds, rows


def _time_statements() -> dict[str, float]:
    """Seconds per SQL statement (its first 160 characters), for finding what a stage spends."""
    from collections import defaultdict

    spent: dict[str, float] = defaultdict(float)

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        spent[" ".join(statement.split())[:160]] += time.perf_counter() - conn.info["bench_started"].pop()

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", after)
    return spent


def _copy_database(url: str, dialect: str, base: Path, scale: float) -> tuple[str, Path, str | None]:
    work = Path(tempfile.mkdtemp(prefix=f"timpora-peak-{dialect}-"))
    shutil.copy(base / "year_people.parquet", work / "year_people.parquet")
    if dialect == "sqlite":
        shutil.copy(base / "warehouse.db", work / "warehouse.db")
        return f"sqlite:///{work / 'warehouse.db'}", work, None
    name = f"timpora_peak_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name, work, name


def _year(dialect: str, args: argparse.Namespace) -> tuple[Path, str, str | None, bool]:
    """Where the dialect's year lives: (folder, URL, PostgreSQL database, already built)."""
    if args.year_cache:
        base = args.year_cache / f"{dialect}-{args.base_permits}-{args.base_visas}"
        base.mkdir(parents=True, exist_ok=True)
        if (base / "year.json").exists():
            url = json.loads((base / "year.json").read_text())["url"]
            return base, url, url.rsplit("/", 1)[1] if dialect == "postgresql" else None, True
    else:
        base = Path(tempfile.mkdtemp(prefix=f"timpora-year-{dialect}-"))
    if dialect == "sqlite":
        return base, f"sqlite:///{base / 'warehouse.db'}", None, False
    base_db = f"timpora_year_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{base_db}"'))
    admin.dispose()
    return base, ADMIN_URL.rsplit("/", 1)[0] + "/" + base_db, base_db, False


def _drop(name: str | None) -> None:
    if name:
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _print_run(dialect: str, run: dict[str, Any]) -> None:
    day_rows = sum(run["rows"].values())
    print(f"\n{dialect}, x{run['scale']}: {run['rows']}  ({day_rows:,} rows)")
    print(f"  {'stage':<38}{'rows':>10}{'seconds':>10}{'rows/s':>11}")
    from timpora.ingest.pipeline import MERGE_PARTS, merge_stage

    stages = run["stages"]
    parts = {merge_stage(part): part for part in MERGE_PARTS}
    for name, figures in stages.items():
        if name in parts:
            continue
        rate = figures["rows"] / figures["seconds"] if figures["seconds"] and figures["rows"] else 0
        print(f"  {name:<38}{int(figures['rows']):>10}{figures['seconds']:>10.1f}{rate:>11,.0f}")
        if name == "merge":
            # Its parts (their seconds are in the merge's): where a merge's time goes.
            for stage, part in parts.items():
                if stage in stages:
                    print(f"    {part:<36}{'':>10}{stages[stage]['seconds']:>10.1f}")
    workers = run.get("workers", 1)
    peak = f"peak RSS {run['peak_rss_mb']:,} MB"
    if workers > 1:
        peak = (
            f"peak RSS {run['peak_rss_mb']:,} MB (reconcile {run['main_peak_rss_mb']:,}; "
            f"{workers} ingest workers {run['workers_peak_rss_mb']:,} together)"
        )
        print(
            f"  (ingest stages: seconds of work summed over {workers} workers; "
            f"the ingest took {run['ingest_seconds']:.1f} s of wall time)"
        )
        workers_seen: dict[int, int] = {}
        for file in run.get("files", []):
            worker = workers_seen.setdefault(file["worker"], len(workers_seen) + 1)
            print(
                f"    worker {worker}: {file['start']:6.1f} -> {file['end']:6.1f} s  "
                f"{file['rows']:>8,} rows  {file['key'].rsplit('/', 1)[-1]}"
            )
    print(
        f"  (reconcile: {run['total_seconds'] - run['ingest_seconds']:.1f} s of wall time; on PostgreSQL its steps "
        "run on two connections at once, so its stages add up to more)"
    )
    print(
        f"  {'total (ingest + reconcile)':<38}{day_rows:>10}{run['total_seconds']:>10.1f}"
        f"{day_rows / run['total_seconds']:>11,.0f}   {peak}"
    )
    merge_seconds = sum(run["stages"].get(s, {}).get("seconds", 0) for s in ("stage rows", "merge"))
    merge_rate = day_rows / max(merge_seconds, 1e-9)
    stored_seconds = sum(stages.get(s, {}).get("seconds", 0) for s in ("stage rows", merge_stage("history")))
    baseline = run["baselines"]
    to_sql_rate = baseline["hotel_rows"] / max(baseline["to_sql_hotel_seconds"], 1e-9)
    validate = run["stages"].get("validate and quarantine", {})
    validate_rate = validate.get("rows", 0) / max(validate.get("seconds", 0), 1e-9)
    summary_rate = baseline["hotel_rows"] / max(baseline["gx_summary_hotel_seconds"], 1e-9)
    print(
        f"  baselines: pandas to_sql {to_sql_rate:,.0f} rows/s -> our stage+merge {merge_rate:,.0f} rows/s "
        f"= x{merge_rate / to_sql_rate:.1f};  GX SUMMARY {summary_rate:,.0f} rows/s -> our validate+quarantine "
        f"{validate_rate:,.0f} rows/s = x{validate_rate / summary_rate:.2f}"
    )
    if stored_seconds:
        stored_rate = day_rows / stored_seconds
        print(
            f"  of which storing the rows (staging, then into the history tables): {stored_rate:,.0f} rows/s "
            f"= x{stored_rate / to_sql_rate:.1f} pandas to_sql; the rest is the current state and the marks"
        )
    if baseline.get("copy_floor_hotel_seconds"):
        floor_rate = baseline["hotel_rows"] / max(baseline["copy_floor_hotel_seconds"], 1e-9)
        print(
            f"  floor: PostgreSQL COPY of the hotel files' bytes into an empty table without indexes "
            f"{floor_rate:,.0f} rows/s = x{floor_rate / to_sql_rate:.1f} pandas to_sql"
        )
    if baseline.get("indexed_floor_hotel_seconds"):
        indexed_rate = baseline["indexed_floor_hotel_rows"] / max(baseline["indexed_floor_hotel_seconds"], 1e-9)
        print(
            f"  floor with the warehouse's indexes: the day's {baseline['indexed_floor_hotel_rows']:,} lodging "
            f"events, typed, into an empty copy of their table {indexed_rate:,.0f} rows/s "
            f"= x{indexed_rate / to_sql_rate:.1f} pandas to_sql (x5 is the merge target)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialects", default="postgresql,sqlite")
    parser.add_argument("--scales", default="0.25,1,4")
    parser.add_argument("--base-permits", type=int, default=2_000_000)
    parser.add_argument("--base-visas", type=int, default=2_000_000)
    parser.add_argument("--json", type=Path, default=Path("test-artifacts/national_day.json"))
    parser.add_argument(
        "--year-cache",
        type=Path,
        help="keep each dialect's year here and reuse it on later runs with the same sizes (saves its build)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="files ingested at once, as the ingest DAGs' mapped tasks run them (default 2, one per core; "
        "1 ingests one file after another)",
    )
    parser.add_argument(
        "--hotel-files",
        type=int,
        default=HOTEL_FILES,
        help=f"lodging files the day's hotel-guest events come in (default {HOTEL_FILES}, regional "
        "aggregators' exports; a few thousand is one file per lodging)",
    )
    parser.add_argument("--run-day", nargs=3, metavar=("URL", "WORK", "SCALE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_day:
        url, work, scale = args.run_day
        print(json.dumps(run_day(url, Path(work), float(scale), args.workers)))
        return

    results: dict[str, Any] = {"workload": PEAK | {"hotel_files": args.hotel_files}, "base": {}, "runs": {}}
    for dialect in args.dialects.split(","):
        base, base_url, base_db, cached = _year(dialect, args)
        try:
            if not cached:
                year = subprocess.run(
                    [sys.executable, "-c", _YEAR, base_url, str(base), str(args.base_permits), str(args.base_visas)],
                    capture_output=True,
                    text=True,
                    check=False,
                    env=os.environ
                    | {
                        "PYTHONPATH": os.pathsep.join(
                            filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")])
                        )
                    },
                )
                if year.returncode != 0:
                    print(year.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"building the year on {dialect} failed")
                results["base"][dialect] = json.loads(year.stdout.strip().splitlines()[-1])
                if args.year_cache:
                    (base / "year.json").write_text(json.dumps(results["base"][dialect] | {"url": base_url}))
            else:
                results["base"][dialect] = json.loads((base / "year.json").read_text())
            built = results["base"][dialect].get("seconds")
            print(
                f"{dialect}: year of {args.base_permits:,} permits and {args.base_visas:,} visas "
                + ("reused" if cached else "built")
                + (f" (built in {built} s)" if built is not None else "")
            )
            runs = []
            for scale in (float(s) for s in args.scales.split(",")):
                url, work, name = _copy_database(base_url, dialect, base, scale)
                try:
                    (work / DAY_KEYS).write_text(json.dumps(write_day(work, scale, args.hotel_files)))
                    done = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--workers",
                            str(args.workers),
                            "--run-day",
                            url,
                            str(work),
                            str(scale),
                        ],
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if done.returncode != 0:
                        print(done.stderr[-3000:], file=sys.stderr)
                        raise SystemExit(f"the x{scale} run on {dialect} failed")
                    run = json.loads(done.stdout.strip().splitlines()[-1])
                    if os.environ.get("TIMPORA_BENCH_STATEMENTS"):
                        print(done.stderr[-20000:], file=sys.stderr)
                finally:
                    _drop(name)
                    shutil.rmtree(work, ignore_errors=True)
                _print_run(dialect, run)
                runs.append(run)
            results["runs"][dialect] = runs
            print(f"\n{dialect}: cost growth (seconds per 1,000 day rows)")
            for run in runs:
                day_rows = sum(run["rows"].values())
                # Wall time: on PostgreSQL the reconcile's steps overlap on two connections.
                reconcile_s = run["total_seconds"] - run["ingest_seconds"]
                print(
                    f"  x{run['scale']:<5} total {1000 * run['total_seconds'] / day_rows:6.3f}   "
                    f"reconcile {1000 * reconcile_s / day_rows:6.3f}"
                )
        finally:
            if not args.year_cache:
                _drop(base_db)
                shutil.rmtree(base, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nwritten {args.json}")


_YEAR = """
import json, sys
from pathlib import Path
from national_day import build_year
print(json.dumps(build_year(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
"""


if __name__ == "__main__":
    main()
