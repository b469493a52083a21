"""What every benchmark sets up before it imports the platform.

A PostgreSQL warehouse is production mode, which refuses to run without real secrets.
The benchmarks' scratch warehouses hold generated data only, so they run with keys of
their own unless the environment gives some.
"""

from __future__ import annotations

import os

BENCH_SECRETS = {
    "TIMPORA_PSEUDONYM_KEY": "bench-pseudonym-key-for-generated-data-only",
    "TIMPORA_REVIEW_SECRET": "bench-review-secret-for-generated-data-only",
    "TIMPORA_AUDIT_KEY": "bench-audit-key-for-generated-data-only-0000",
}


def bench_secrets() -> None:
    for name, value in BENCH_SECRETS.items():
        os.environ.setdefault(name, value)
