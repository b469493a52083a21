"""Bulk loading of frames into warehouse tables: ``COPY`` on PostgreSQL, executemany on SQLite.

Column types come from the database itself (reflection), so the DDL in ``sql/`` stays the
only definition of the schema. Dates and timestamps are written as ISO text, which both
databases read natively and which keeps SQLite's text ordering equal to time ordering.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

COPY_ROWS = 50_000

_TYPES: dict[tuple[str, str], dict[str, str]] = {}
_TYPES_LOCK = threading.Lock()


def column_kinds(conn: Connection, table: str) -> dict[str, str]:
    """``{column: "date" | "timestamp" | "integer" | "text"}`` of a table, cached per database."""
    cache_key = (str(conn.engine.url), table)
    with _TYPES_LOCK:
        if cache_key in _TYPES:
            return _TYPES[cache_key]
    kinds: dict[str, str] = {}
    for column in sa.inspect(conn).get_columns(table):
        type_name = str(column["type"]).upper()
        if type_name.startswith("TIMESTAMP") or type_name == "DATETIME":
            kinds[column["name"]] = "timestamp"
        elif type_name == "DATE":
            kinds[column["name"]] = "date"
        elif "INT" in type_name:
            kinds[column["name"]] = "integer"
        else:
            kinds[column["name"]] = "text"
    with _TYPES_LOCK:
        _TYPES[cache_key] = kinds
    return kinds


def _as_datetimes(values: pd.Series) -> pd.Series:
    return values if pd.api.types.is_datetime64_any_dtype(values.dtype) else pd.to_datetime(values)


def _as_text_column(values: pd.Series, kind: str) -> pd.Series:
    if kind in ("date", "timestamp"):
        parsed = _as_datetimes(values)
        fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
        text = parsed.dt.strftime(fmt)
        return text.astype(object).where(parsed.notna(), None)
    if kind == "integer":
        numbers = pd.to_numeric(values, errors="raise").astype("Int64")
        return numbers.astype(object).where(numbers.notna(), None)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(int).astype(object)
    return values.astype(object).where(values.notna(), None)


def prepare(frame: pd.DataFrame, kinds: dict[str, str], columns: Sequence[str]) -> pd.DataFrame:
    """The frame's ``columns`` converted to the values the database columns take."""
    return pd.DataFrame({c: _as_text_column(frame[c], kinds[c]) for c in columns}, index=frame.index)


def _arrow_column(values: pd.Series, kind: str) -> Any:
    """A column as the Arrow array whose CSV text PostgreSQL reads as the column's value.

    The same values :func:`_as_text_column` gives, written by Arrow's C++ CSV writer: dates
    as ``YYYY-MM-DD``, timestamps to the second, integers without a fraction, booleans as
    1/0, and NULL (an unquoted empty field) for missing values and empty strings.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind in ("date", "timestamp"):
        parsed = _as_datetimes(values)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)  # wall time, as strftime writes it
        stamps = pa.array(parsed.astype("datetime64[ns]"), from_pandas=True)
        return stamps.cast(pa.date32() if kind == "date" else pa.timestamp("s"), safe=False)
    if kind == "integer":
        return pa.array(pd.to_numeric(values, errors="raise").astype("Int64"), from_pandas=True)
    if pd.api.types.is_bool_dtype(values.dtype):
        return pa.array(values.astype("int64"))
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pa.array(values, from_pandas=True)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pa.array(_as_text_column(values, "timestamp"), type=pa.string())
    text = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _csv_for_copy(frame: pd.DataFrame, kinds: dict[str, str], columns: Sequence[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    table = pa.table({c: _arrow_column(frame[c], kinds[c]) for c in columns})
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return sink.getvalue()


def insert_frame(conn: Connection, table: str, frame: pd.DataFrame, *, types_from: str | None = None) -> int:
    """Insert every row of ``frame`` (its columns must exist in ``table``); returns the count."""
    if frame.empty:
        return 0
    columns = list(frame.columns)
    kinds = column_kinds(conn, types_from or table)
    unknown = [c for c in columns if c not in kinds]
    if unknown:
        raise KeyError(f"columns not in the table: {unknown}")
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, table, frame, kinds, columns)
    else:
        _executemany_sqlite(conn, table, prepare(frame, kinds, columns), columns)
    return len(frame)


def _executemany_sqlite(conn: Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """The driver's ``executemany`` with plain tuples: no per-row dictionaries."""
    statement = str(sa.insert(sa.table(table, *[sa.column(c) for c in columns])).compile(dialect=conn.dialect))
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.executemany(statement, frame.itertuples(index=False, name=None))
    finally:
        cursor.close()


def _copy_postgres(
    conn: Connection, table: str, frame: pd.DataFrame, kinds: dict[str, str], columns: list[str]
) -> None:
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(frame), COPY_ROWS):
            # Arrow writes the CSV in C++; pandas' to_csv of object columns was most of a
            # national day's staging time.
            copy.write(_csv_for_copy(frame.iloc[start : start + COPY_ROWS], kinds, columns))
