"""Per-rule precision/recall and identity-linking quality on a large generated day.

Generates one landing day (default: 95,000 stays, over 100k hotel events), ingests it into
a fresh warehouse (SQLite by default, or --warehouse-url), runs one reconcile and times it,
then scores the flags and the identity links against the generator's ground truth.

    .venv/bin/python bench/rule_quality.py --stays 95000 --json test-artifacts/rule_quality.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from bench_env import bench_secrets

from timpora.config import override_environment

bench_secrets()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stays", type=int, default=95_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--warehouse-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="timpora-quality-"))
    override_environment(
        data_dir=str(work / "data"),
        warehouse_url=args.warehouse_url or f"sqlite:///{work / 'warehouse.db'}",
        landing_dir=str(work / "landing"),
    )
    # Imported after the override: settings resolve once.
    from timpora.evaluation import linking_quality, rule_quality
    from timpora.generator import generate_day
    from timpora.ingest.pipeline import ingest_keys
    from timpora.reconcile.engine import reconcile
    from timpora.warehouse.db import warehouse_engine
    from timpora.warehouse.migrate import migrate

    engine = warehouse_engine()
    migrate(engine)
    started = time.perf_counter()
    truth = generate_day(work / "landing", work / "truth.json", stays=args.stays, seed=args.seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    ingest_keys(truth["files"])
    ingested = time.perf_counter() - started
    started = time.perf_counter()
    summary = reconcile()
    reconciled = time.perf_counter() - started

    rules = [q.as_dict() for q in rule_quality(engine, truth)]
    links = [q.as_dict() for q in linking_quality(engine, truth)]
    print(
        f"day: {truth['totals']['stays']:,} stays, {truth['totals']['hotel_events']:,} hotel events, "
        f"{truth['totals']['permits']:,} permits, {truth['totals']['visas']:,} visas, {len(truth['files'])} files"
    )
    print(f"generate {generated:.1f} s, ingest {ingested:.1f} s, reconcile {reconciled:.1f} s")
    print(f"reconcile: {summary.scope_size:,} people, {summary.nights:,} nights, {summary.links:,} identity links")
    print(f"\n{'rule':<20}{'planted':>9}{'flags':>8}{'TP':>7}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>8}")
    for row in rules:
        print(
            f"{row['name']:<20}{row['expected']:>9}{row['found']:>8}{row['true_positives']:>7}"
            f"{row['false_positives']:>6}{row['false_negatives']:>6}{row['precision']:>11.4f}{row['recall']:>8.4f}"
        )
    print(f"\n{'identity links':<28}{'true':>8}{'linked':>8}{'TP':>8}{'precision':>11}{'recall':>8}")
    for row in links:
        print(
            f"{row['name']:<28}{row['expected']:>8}{row['found']:>8}{row['true_positives']:>8}"
            f"{row['precision']:>11.4f}{row['recall']:>8.4f}"
        )
    for row in rules + links:
        for example in row["false_positive_examples"] + row["false_negative_examples"]:
            print(f"  {row['name']}: {example}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "parameters": truth["generator"],
                    "totals": truth["totals"],
                    "noise_counts": truth["noise_counts"],
                    "seconds": {"generate": generated, "ingest": ingested, "reconcile": reconciled},
                    "reconcile": summary.as_dict(),
                    "rules": rules,
                    "identity_links": links,
                },
                indent=1,
            )
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
