"""``insert_frame``: what a frame holds is what the table holds, on both warehouses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from timpora.config import get_settings
from timpora.warehouse.bulk import COPY_ROWS, insert_frame
from timpora.warehouse.db import owner_engine, transaction

AWKWARD_TEXT = ["a,b", 'say "hi"', "two\nlines", "semi;colon", "Müller Ñúñez 王", "back\\slash", "  padded  "]


def _create_probe(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "CREATE TABLE bulk_probe (label VARCHAR(10), born DATE, seen_at TIMESTAMP, count INTEGER, "
            "score REAL, note TEXT)"
        )
    )


def _stored(conn: sa.Connection) -> list[tuple[object, ...]]:
    rows = conn.execute(sa.text("SELECT label, born, seen_at, count, score, note FROM bulk_probe ORDER BY label")).all()

    def day(value: object) -> str | None:
        return None if value is None else str(value)[:10]

    def stamp(value: object) -> str | None:
        return None if value is None else str(value)[:19].replace("T", " ")

    return [(r[0], day(r[1]), stamp(r[2]), r[3], None if r[4] is None else round(float(r[4]), 4), r[5]) for r in rows]


def test_insert_frame_keeps_every_value_as_written(warehouse: str) -> None:
    engine = owner_engine(get_settings())
    n = len(AWKWARD_TEXT)
    frame = pd.DataFrame(
        {
            "label": pd.Series([f"row{i}" for i in range(n)], dtype="string[pyarrow]"),
            "born": pd.to_datetime(["1990-03-07", None, "2000-02-29", "1969-12-31", "1990-03-07", None, "2024-01-01"]),
            # Sub-seconds are dropped, as the columns hold seconds.
            "seen_at": pd.to_datetime(
                ["2024-10-03 12:00:00.7", None, "2024-10-03 23:59:59", "2024-10-04 00:00:00", None, None, None],
                format="ISO8601",
            ),
            "count": pd.array([1, None, 3, 0, -5, 7, None], dtype="Int64"),
            "score": [0.9667, 1.0, np.nan, 0.1, 0.25, 0.0, 1.5],
            # Text as object values, empty meaning missing, a number among strings.
            "note": pd.Series([*AWKWARD_TEXT[:-2], "", 42], dtype=object),
        }
    )
    frame.loc[1, "note"] = None
    with engine.begin() as conn:
        _create_probe(conn)
        assert insert_frame(conn, "bulk_probe", frame) == n
        stored = _stored(conn)
    notes = list(frame["note"])
    assert stored == [
        ("row0", "1990-03-07", "2024-10-03 12:00:00", 1, 0.9667, notes[0]),
        ("row1", None, None, None, 1.0, None),
        ("row2", "2000-02-29", "2024-10-03 23:59:59", 3, None, notes[2]),
        ("row3", "1969-12-31", "2024-10-04 00:00:00", 0, 0.1, notes[3]),
        ("row4", "1990-03-07", None, -5, 0.25, notes[4]),
        ("row5", None, None, 7, 0.0, None if warehouse == "postgresql" else ""),
        ("row6", "2024-01-01", None, None, 1.5, "42"),
    ]


def test_insert_frame_takes_dates_as_objects_and_frames_over_one_copy_chunk(warehouse: str) -> None:
    engine = owner_engine(get_settings())
    n = COPY_ROWS + 3
    frame = pd.DataFrame(
        {
            "label": [f"r{i:07d}" for i in range(n)],
            "born": [date(1990, 1, 1 + i % 28) for i in range(n)],
            "seen_at": [datetime(2024, 10, 3, i % 24, 0, 0) for i in range(n)],
            "count": np.arange(n),
            "score": np.full(n, 0.5),
            "note": [AWKWARD_TEXT[i % len(AWKWARD_TEXT)] for i in range(n)],
        }
    )
    with engine.begin() as conn:
        _create_probe(conn)
        assert insert_frame(conn, "bulk_probe", frame) == n
        stored = _stored(conn)
    assert len(stored) == n
    assert stored[-1] == (
        f"r{n - 1:07d}",
        f"1990-01-{1 + (n - 1) % 28:02d}",
        f"2024-10-03 {(n - 1) % 24:02d}:00:00",
        n - 1,
        0.5,
        AWKWARD_TEXT[(n - 1) % len(AWKWARD_TEXT)],
    )
    assert [row[5] for row in stored[: len(AWKWARD_TEXT)]] == AWKWARD_TEXT


def test_a_transaction_given_work_memory_sorts_and_builds_indexes_with_it(warehouse: str) -> None:
    """The heavy merges and the reconcile's steps ask for more memory than the server's
    default, for their sorts and hashes and for the indexes the star builds on its staged
    rows; only for their own transaction."""
    engine = owner_engine(get_settings())
    with transaction(engine, "96MB") as conn:
        if warehouse == "postgresql":
            assert conn.execute(sa.text("SHOW work_mem")).scalar_one() == "96MB"
            assert conn.execute(sa.text("SHOW maintenance_work_mem")).scalar_one() == "96MB"
        else:
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    if warehouse == "postgresql":
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW work_mem")).scalar_one() != "96MB"
            assert conn.execute(sa.text("SHOW maintenance_work_mem")).scalar_one() != "96MB"


PROBE_ROWS = [
    "INSERT INTO bulk_probe VALUES ('a', '1990-03-07', '2024-10-03 12:00:00.75', 1, 0.5, 'two\nlines, \"quoted\"')",
    "INSERT INTO bulk_probe VALUES ('b', NULL, NULL, NULL, NULL, '')",
    "INSERT INTO bulk_probe VALUES ('c', '2000-02-29', '2024-10-03 23:59:59', -5, 1.5, NULL)",
    "INSERT INTO bulk_probe VALUES ('d', '1969-12-31', '2024-10-04 00:00:00', 0, 0.0, 'Müller Ñúñez 王;back\\slash')",
]
PROBE_QUERY = (
    "SELECT label, born, seen_at, count, note, count > 0 AS positive, CAST(NULL AS TEXT) AS never_noted "
    "FROM bulk_probe WHERE label IN :labels OR count >= :least ORDER BY label"
)


def test_a_query_copied_out_of_postgresql_gives_the_frame_its_fetched_rows_give(warehouse: str) -> None:
    """The reconcile's large reads come out of PostgreSQL as CSV parsed by Arrow; the frame
    must be the one fetching the rows gives: the same dtypes, NULLs, empty strings, dates,
    timestamps with fractions, booleans, awkward text and all-NULL columns."""
    from timpora.warehouse.db import _clause, _copied_frames

    engine = owner_engine(get_settings())
    with engine.begin() as conn:
        _create_probe(conn)
        for statement in PROBE_ROWS:
            conn.execute(sa.text(statement))
        clause, wanted = _clause(PROBE_QUERY, {"labels": ["a", "b"], "least": -1})
        result = conn.execute(clause, wanted)
        rows, columns = [tuple(row) for row in result.fetchall()], list(result.keys())
        fetched = pd.DataFrame(rows, columns=columns)
        assert list(fetched["label"]) == ["a", "b", "d"]
        copied = _copied_frames(conn, clause, wanted, None)
        if warehouse == "sqlite":
            assert copied is None  # SQLite fetches its rows
            return
        assert copied is not None
        pd.testing.assert_frame_equal(next(copied), fetched)
        assert fetched["note"].tolist()[:2] == ['two\nlines, "quoted"', ""]
        # In chunks of the rows asked for (Arrow's one block cut), each the frame fetching
        # its rows gives (a column NULL throughout a chunk holds None, as there).
        for size in (1, 2):
            chunks = list(_copied_frames(conn, clause, wanted, size) or [])
            assert [len(chunk) for chunk in chunks] == [len(rows[i : i + size]) for i in range(0, len(rows), size)]
            for start, chunk in zip(range(0, len(rows), size), chunks, strict=True):
                expected = pd.DataFrame(rows[start : start + size], columns=columns)
                pd.testing.assert_frame_equal(chunk.reset_index(drop=True), expected)
        # Nothing found: the columns, no row, as a fetch gives them.
        clause, wanted = _clause(PROBE_QUERY, {"labels": ["z"], "least": 100})
        empty = next(_copied_frames(conn, clause, wanted, None) or iter([]))
        assert list(empty.columns) == list(fetched.columns) and empty.empty
        assert list(_copied_frames(conn, clause, wanted, 1) or [None]) == []
        # A type Arrow is not told how to read (NUMERIC comes back as Decimal): fetched instead.
        clause, wanted = _clause("SELECT CAST(score AS NUMERIC(6, 2)) AS score FROM bulk_probe", {})
        assert _copied_frames(conn, clause, wanted, None) is None


def test_query_frame_copies_only_the_reads_that_ask_for_it(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A review page is fetched (describing and copying a few rows costs more than it
    saves); the reconcile's large reads ask for the copy. Either way the frame is the same."""
    from timpora.warehouse import db

    engine = owner_engine(get_settings())
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO file_ledger (ledger_id, feed, object_key, object_version, content_sha256, size_bytes, "
                "landing_date, status, registered_at) VALUES ('L1', 'visa', 'visa/2024/10/03/evisa_20241003.jsonl', "
                "1, 'abc', 10, '2024-10-03', 'REGISTERED', '2024-10-03 05:00:00')"
            )
        )
    # Whether each read went by COPY (a generator) or was fetched (None, as on SQLite).
    copies: list[bool] = []
    real = db._copied_frames

    def spy(*args: Any) -> Any:
        frames = real(*args)
        copies.append(frames is not None)
        return frames

    monkeypatch.setattr(db, "_copied_frames", spy)
    with engine.connect() as conn:
        copied = db.query_frame(conn, "ingest/ledger_list", copy_out=True)
        assert copies == [warehouse == "postgresql"]
        fetched = db.query_frame(conn, "ingest/ledger_list")
    assert copies == [warehouse == "postgresql"]  # the plain read did not even describe its query
    pd.testing.assert_frame_equal(copied, fetched)
    assert list(fetched["ledger_id"]) == ["L1"]


@pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True)
def test_warehouse_sessions_run_without_jit(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiling our batch statements cost more than it saved (see db._postgres_session).
    It stays off after a rolled-back transaction and on a pooled connection's next use, and
    options the environment gives libpq still apply beside it."""
    from timpora.warehouse.db import dispose_engines

    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=123456")
    dispose_engines()
    try:
        engine = owner_engine(get_settings())
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"
            assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "123456ms"
            conn.rollback()
            assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"
        with transaction(engine) as conn:
            assert conn.execute(sa.text("SHOW jit")).scalar_one() == "off"
        assert isinstance(engine.pool, sa.pool.QueuePool)
        assert engine.pool.checkedin() >= 1  # the same session came back from the pool
    finally:
        dispose_engines()
