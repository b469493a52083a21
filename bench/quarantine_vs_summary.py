"""Row-level quarantine cost against GX's SUMMARY validation, on the same data.

GX ``COMPLETE`` with ``unexpected_index_list`` names every failing row but is slow on
large batches; ``SUMMARY`` only counts them (with a sample of their indices). The platform
runs ``BASIC`` (counts and a sample of values, ``RESULT_FORMAT``) and derives the failing
rows from the same expectation configurations with vectorised masks, checked against GX's
counts (``timpora.validation.runner.row_verdicts``). This script times the three on one
frame (default: 1,000,000 rows, 4 expectations, 1% bad rows each, ``--bad-share``) in one
process and prints them side by side, in two settings:

* ``in memory``: ``batch.validate`` on an ephemeral context (GX's cheapest path);
* ``checkpoint``: what ingest runs, a Checkpoint in a file context that stores the
  validation result and updates the Data Docs site. This is where ``COMPLETE`` costs most:
  every unexpected value and index is serialised into the result and rendered.

    .venv/bin/python bench/quarantine_vs_summary.py [--rows 1000000] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def make_frame(rows: int, seed: int, bad_share: float = 0.01) -> pd.DataFrame:
    """Four columns like the feeds', each with ``bad_share`` of rows that break one expectation."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    passports = pd.Series(letters[rng.integers(0, len(letters), rows)]).str.cat(
        pd.Series(rng.integers(10_000_000, 99_999_999, rows).astype(str))
    )
    bad = rng.random(rows) < bad_share
    passports[bad] = passports[bad].str.lower() + "!"
    regions = pd.Series(rng.choice(["16.71", "16.72", "16.03", "31.74"], rows))
    regions[rng.random(rows) < bad_share] = "99.99"
    born = pd.Series(pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, rows), unit="D"))
    born[rng.random(rows) < bad_share] = pd.Timestamp("1850-06-01")
    names = pd.Series(rng.choice(["ZHANG", "MÜLLER", "O'NEILL", "NGUYEN", "SMITH"], rows), dtype=object)
    names[rng.random(rows) < bad_share] = None
    return pd.DataFrame(
        {
            "passport_number": passports.astype(object),
            "region_code": regions.astype(object),
            "date_of_birth": born.astype("datetime64[ns]"),
            "surname": names,
        }
    )


def suite_expectations() -> list[dict[str, Any]]:
    def meta(key: str) -> dict[str, str]:
        return {"rule_key": key, "reason_en": key, "reason_id": key}

    return [
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "passport_number", "regex": "^[A-Z0-9]{5,9}$"},
            "meta": meta("passport:regex"),
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "region_code", "value_set": {"$PARAMETER": "regency_codes"}},
            "meta": meta("region:set"),
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {
                "column": "date_of_birth",
                "min_value": "1900-01-01T00:00:00",
                "max_value": "2024-10-04T00:00:00",
            },
            "meta": meta("dob:between"),
        },
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "surname"}, "meta": meta("surname:null")},
    ]


def best_of(repeat: int, action: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-share", type=float, default=0.01, help="share of rows breaking each expectation")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from timpora.reference import regency_codes
    from timpora.validation.runner import RESULT_FORMAT, row_verdicts

    frame = make_frame(args.rows, args.seed, args.bad_share)
    parameters = {"regency_codes": sorted(regency_codes())}
    specs = suite_expectations()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name="bench", expectations=specs)

    def summary() -> Any:
        return batch.validate(suite, result_format="SUMMARY", expectation_parameters=parameters)

    def complete() -> list[int]:
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"}, expectation_parameters=parameters)
        rows: set[int] = set()
        for item in result.results:
            rows.update(item.result.get("unexpected_index_list") or [])
        return sorted(rows)

    def platform() -> Any:
        basic = batch.validate(suite, result_format=RESULT_FORMAT, expectation_parameters=parameters)
        return row_verdicts("bench", specs, frame, basic, parameters)

    summary_s, summary_result = best_of(args.repeat, summary)
    platform_s, outcome = best_of(args.repeat, platform)
    complete_s, complete_rows = best_of(1, complete)
    ours = sorted(np.flatnonzero(outcome.failed).tolist())
    assert ours == complete_rows, "the platform's quarantined rows differ from GX COMPLETE's"
    counted = sum(int(r.result.get("unexpected_count") or 0) for r in summary_result.results)

    # The production setting: a checkpoint that stores its result and updates Data Docs.
    with tempfile.TemporaryDirectory() as folder:
        file_context = gx.get_context(mode="file", project_root_dir=folder)
        file_context.variables.progress_bars = ProgressBarsConfig(globally=False)
        definition = file_context.validation_definitions.add(
            gx.ValidationDefinition(
                name="bench",
                suite=file_context.suites.add(gx.ExpectationSuite(name="bench", expectations=specs)),
                data=file_context.data_sources.add_pandas("bench")
                .add_dataframe_asset("rows")
                .add_batch_definition_whole_dataframe("all"),
            )
        )

        def run_checkpoint(result_format: Any) -> Any:
            name = f"bench_{len(list(file_context.checkpoints.all()))}"
            checkpoint = file_context.checkpoints.add(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[definition],
                    result_format=result_format,
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="docs")],
                )
            )
            result = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters)
            return next(iter(result.run_results.values()))

        cp_summary_s, _ = best_of(args.repeat, lambda: run_checkpoint("SUMMARY"))
        cp_platform_s, cp_outcome = best_of(
            args.repeat, lambda: row_verdicts("bench", specs, frame, run_checkpoint(RESULT_FORMAT), parameters)
        )
        cp_complete_s, _ = best_of(1, lambda: run_checkpoint({"result_format": "COMPLETE"}))
        assert sorted(np.flatnonzero(cp_outcome.failed).tolist()) == complete_rows

    print(
        f"rows: {args.rows:,}   expectations: {len(specs)}   unexpected values: {counted:,}   "
        f"rows quarantined: {len(ours):,} (identical to GX COMPLETE's)"
    )
    print(f"{'method':<44}{'in memory s':>12}{'x SUMMARY':>11}{'checkpoint s':>14}{'x SUMMARY':>11}")
    for label, seconds, cp_seconds in (
        ("GX SUMMARY (counts only)", summary_s, cp_summary_s),
        (f"platform: {RESULT_FORMAT} + row masks + reasons", platform_s, cp_platform_s),
        ("GX COMPLETE (unexpected_index_list)", complete_s, cp_complete_s),
    ):
        print(
            f"{label:<44}{seconds:>12.2f}{seconds / summary_s:>11.2f}{cp_seconds:>14.2f}"
            f"{cp_seconds / cp_summary_s:>11.2f}"
        )
    if args.json_path:
        with Path(args.json_path).open("w", encoding="utf-8") as handle:
            json.dump(
                {
                    "rows": args.rows,
                    "expectations": len(specs),
                    "in_memory": {"summary_s": summary_s, "platform_s": platform_s, "complete_s": complete_s},
                    "checkpoint": {"summary_s": cp_summary_s, "platform_s": cp_platform_s, "complete_s": cp_complete_s},
                    "platform_over_summary": cp_platform_s / cp_summary_s,
                    "complete_over_summary": cp_complete_s / cp_summary_s,
                },
                handle,
                indent=1,
            )


if __name__ == "__main__":
    main()
