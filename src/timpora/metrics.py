"""Seconds and rows per processing stage, accumulated in this process (for benchmarks).

The pipeline and the reconcile wrap their stages in :func:`stage`; a benchmark calls
:func:`reset`, runs, and reads :func:`snapshot`. Cheap enough to stay on in production
(two clock reads per stage and chunk).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_seconds: dict[str, float] = defaultdict(float)
_rows: dict[str, int] = defaultdict(int)


@contextmanager
def stage(name: str, rows: int = 0) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        with _lock:
            _seconds[name] += elapsed
            _rows[name] += rows


def count(name: str, rows: int) -> None:
    with _lock:
        _rows[name] += rows


def reset() -> None:
    with _lock:
        _seconds.clear()
        _rows.clear()


def snapshot() -> dict[str, dict[str, float]]:
    with _lock:
        return {name: {"seconds": _seconds[name], "rows": float(_rows.get(name, 0))} for name in _seconds}
