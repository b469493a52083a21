"""Exclusive work locks that die with their holder.

Processing one file, or one reconcile run, must not happen twice at the same time. A lock
held by a crashed worker must not outlive it either, or a re-run would wait for a
timeout. On PostgreSQL a session advisory lock is released when its connection closes;
in embedded mode an ``flock`` on a file under the data directory is released when the
process exits.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

import sqlalchemy as sa

from timpora.config import Settings
from timpora.warehouse.db import warehouse_engine


def _lock_number(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(settings: Settings, name: str, wait: bool = False) -> Iterator[bool]:
    """Hold the lock ``name``; yields ``False`` at once if someone else holds it (unless ``wait``)."""
    if settings.warehouse_dialect == "postgresql":
        engine = warehouse_engine(settings)
        with engine.connect() as conn:
            number = _lock_number(name)
            if wait:
                conn.execute(sa.text("SELECT pg_advisory_lock(:n)"), {"n": number})
                got = True
            else:
                got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:n)"), {"n": number}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:n)"), {"n": number})
                    conn.commit()
        return
    folder = settings.data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(name.encode()).hexdigest()[:24] + ".lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def exclusive_all(settings: Settings, names: Iterable[str]) -> Iterator[None]:
    """Hold every lock of ``names``, waiting for each (a group of files processed together).

    Taken in one order (by lock number) by every holder of several, so two groups that
    share files wait for each other instead of deadlocking. On PostgreSQL all are held by
    one session: a group of hundreds of files takes one connection, not hundreds.
    """
    if settings.warehouse_dialect == "postgresql":
        numbers = sorted({_lock_number(name) for name in names})
        with warehouse_engine(settings).connect() as conn:
            taken: list[int] = []
            try:
                for number in numbers:
                    conn.execute(sa.text("SELECT pg_advisory_lock(:n)"), {"n": number})
                    taken.append(number)
                conn.commit()
                yield
            finally:
                for number in reversed(taken):
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:n)"), {"n": number})
                conn.commit()
        return
    with ExitStack() as stack:
        for name in sorted(set(names), key=_lock_number):
            stack.enter_context(exclusive(settings, name, wait=True))
        yield
