"""Warehouse connections and the ``.sql`` files that hold every statement we run.

SQL lives in ``sql/`` as files of one or more statements with ``:name`` bind parameters.
A file may have a dialect-specific twin (``name.postgresql.sql``) for the rare statement
that cannot be written portably; the twin wins on that dialect.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pandas as pd
import sqlalchemy as sa
import sqlparse
from sqlalchemy.engine import Connection, Engine

from timpora.config import Settings, get_settings

# Explicit adapters: Python 3.12 deprecates sqlite3's implicit date handling, and ISO text
# keeps SQLite's ordering of dates equal to time order.
sqlite3.register_adapter(date, lambda value: value.isoformat())
sqlite3.register_adapter(datetime, lambda value: value.isoformat(sep=" "))

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


_SQLITE_BEGIN = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN"}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the review app read while a DAG task writes; the busy timeout makes
    # concurrent writers wait instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache; sorts too big for it spill to a temporary file, not to RAM,
    # so a million-row merge stays within bounded memory.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("timpora_begin", "DEFERRED")
    conn.exec_driver_sql(_SQLITE_BEGIN[mode])


def _postgres_session(dbapi_connection: Any, _record: Any) -> None:
    """Every new PostgreSQL warehouse session runs with JIT off.

    PostgreSQL's JIT compiles any statement whose estimated cost passes ``jit_above_cost``.
    Our set-based statements over session tables (the reconcile's scope, a file's staged
    rows) are costed far above it whatever they do, and compiling them, with inlining, took
    0.3-1.4 s each: 3 s of the x1 national day's reconcile in auto_explain's log, the guest
    nights' build spending 0.8 s compiling before its first row. Set on the session, not in
    libpq's ``options``, which would replace what ``PGOPTIONS`` gives; in autocommit, so
    that the pool's rollback on return does not undo it.
    """
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def engine_for_url(url: str) -> Engine:
    """One pooled engine per warehouse URL in this process."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(url, connect_args={"timeout": 60})
                sa.event.listen(engine, "connect", _sqlite_pragmas)
                sa.event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
                sa.event.listen(engine, "connect", _postgres_session)
            _ENGINES[url] = engine
        return engine


def warehouse_engine(settings: Settings | None = None) -> Engine:
    """The warehouse engine of the configured settings (the runtime role in production)."""
    return engine_for_url((settings or get_settings()).warehouse_url)


def owner_engine(settings: Settings | None = None) -> Engine:
    """The engine of the schema's owner, which migrations use (``TIMPORA_WAREHOUSE_OWNER_URL``;
    the warehouse URL itself when none is set)."""
    return engine_for_url((settings or get_settings()).warehouse_owner_url)


def dispose_engines() -> None:
    """Close every pooled connection (tests drop databases afterwards)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@lru_cache(maxsize=256)
def _statements(path: Path) -> tuple[str, ...]:
    text = path.read_text(encoding="utf-8")
    statements = []
    for statement in sqlparse.split(text):
        body = sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
        if body:
            statements.append(body)
    return tuple(statements)


def sql_statements(name: str, dialect: str, sql_dir: Path | None = None) -> tuple[str, ...]:
    """Statements of ``sql/<name>.sql`` (or its ``<name>.<dialect>.sql`` twin)."""
    base = sql_dir or get_settings().sql_dir
    twin = base / f"{name}.{dialect}.sql"
    path = twin if twin.is_file() else base / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return _statements(path)


_BIND = re.compile(r"(?<![:\w]):(\w+)")


def _element_type(values: Any) -> sa.types.TypeEngine[Any] | None:
    """An ``IN`` list's element type: text for text and for an empty list. PostgreSQL needs a
    type even for an empty list, and SQLAlchemy's guess, integer, fails against text columns;
    the lists our SQL binds are of text keys."""
    if isinstance(values, list | tuple | set | frozenset) and all(isinstance(value, str) for value in values):
        return sa.String()
    return None


def _clause(statement: str, params: Mapping[str, Any] | None) -> tuple[sa.TextClause, dict[str, Any]]:
    """A text clause with the parameters its statement names; lists bind as ``IN`` lists."""
    names = set(_BIND.findall(statement))
    wanted = {key: value for key, value in (params or {}).items() if key in names}
    clause = sa.text(statement)
    expanding: list[sa.BindParameter[Any]] = [
        sa.bindparam(key, expanding=True, type_=_element_type(value))
        for key, value in wanted.items()
        if isinstance(value, list | tuple | set | frozenset)
    ]
    if expanding:
        clause = clause.bindparams(*expanding)
        wanted = {k: (list(v) if isinstance(v, set | frozenset) else v) for k, v in wanted.items()}
    return clause, wanted


def run_sql(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> list[int]:
    """Run every statement of a SQL file with the same bind parameters; row counts back."""
    counts = []
    for statement in sql_statements(name, conn.dialect.name):
        clause, wanted = _clause(statement, params)
        result = conn.execute(clause, wanted)
        counts.append(result.rowcount if result.rowcount is not None else -1)
    return counts


def _single_query(
    conn: Connection, name: str, params: Mapping[str, Any] | None
) -> tuple[sa.TextClause, dict[str, Any]]:
    """The clause and bind values of a SQL file that must hold exactly one statement."""
    statements = sql_statements(name, conn.dialect.name)
    if len(statements) != 1:
        raise ValueError(f"sql/{name}.sql must hold exactly one statement to be queried")
    return _clause(statements[0], params)


def query_sql(conn: Connection, name: str, params: Mapping[str, Any] | None = None) -> list[Any]:
    """Rows of the single ``SELECT`` in a SQL file."""
    clause, wanted = _single_query(conn, name, params)
    return list(conn.execute(clause, wanted))


def query_frames(
    conn: Connection, name: str, params: Mapping[str, Any] | None = None, chunk_rows: int = 100_000
) -> Iterator[pd.DataFrame]:
    """The single ``SELECT`` of a SQL file as DataFrames of ``chunk_rows`` rows (the last fewer).

    Memory holds one chunk, whatever the result's size, and the connection may write
    between chunks: on PostgreSQL the result is copied to a temporary file first (see
    :func:`_copied_frames`), elsewhere it streams from the database.
    """
    clause, wanted = _single_query(conn, name, params)
    copied = _copied_frames(conn, clause, wanted, chunk_rows)
    if copied is not None:
        yield from copied
        return
    # Per statement: Connection.execution_options() would change the connection for good.
    result = conn.execute(clause, wanted, execution_options={"stream_results": True, "max_row_buffer": chunk_rows})
    columns = list(result.keys())
    for rows in result.partitions(chunk_rows):
        yield pd.DataFrame([tuple(row) for row in rows], columns=columns)


def key_pages(chunks: Iterable[pd.DataFrame], key: str | None, what: str) -> Iterator[pd.DataFrame]:
    """The non-empty ``chunks`` of a query's rows, cut so that the rows sharing a ``key``
    value stay in one page: a chunk's last group waits for the rows of it that the next
    chunk begins with. A group must come as one run of rows, which the query ensures by
    ordering on the key; a page where it does not is refused (``what`` names the query in
    the error), as whoever reads the pages takes one page's group as the whole of it.
    Without a ``key`` the chunks are the pages."""
    waiting: pd.DataFrame | None = None
    for chunk in chunks:
        if waiting is not None:
            chunk = pd.concat([waiting, chunk], ignore_index=True)
            waiting = None
        if chunk.empty:
            continue
        if key is None:
            yield chunk
            continue
        keys = chunk[key]
        if int(keys.ne(keys.shift()).sum()) != keys.nunique(dropna=False):
            raise RuntimeError(
                f"{what}: rows of one {key} are not together in its SQL's result; its SQL must order its rows by {key}"
            )
        last = (keys == keys.iloc[-1]).to_numpy()
        waiting = chunk[last]
        if not last.all():
            yield chunk[~last]
    if waiting is not None:
        yield waiting


def query_frame(
    conn: Connection, name: str, params: Mapping[str, Any] | None = None, *, copy_out: bool = False
) -> pd.DataFrame:
    """The single ``SELECT`` of a SQL file as a DataFrame.

    ``copy_out`` is for a large result (the reconcile's reads, of tens of thousands of rows
    and more): on PostgreSQL it comes out by ``COPY`` (see :func:`_copied_frames`). A small
    one, such as a page of the review queue, is fetched: describing and copying it costs two
    more round trips and a second plan, and made queue pages 10-25% slower.
    """
    clause, wanted = _single_query(conn, name, params)
    copied = _copied_frames(conn, clause, wanted, None) if copy_out else None
    if copied is not None:
        frame = next(copied)
        copied.close()  # closes the temporary file now, not when the generator is collected
        return frame
    result = conn.execute(clause, wanted)
    # Plain tuples from one fetchall (iterating the result fetches row by row): given
    # SQLAlchemy Row objects, pandas inspects each one as a sequence, which costs about 6x
    # the fetch itself (4.5 s against 0.8 s for 400,000 rows).
    return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))


@lru_cache(maxsize=1)
def _arrow_types() -> dict[int, Any]:
    """PostgreSQL types (by OID) whose CSV text Arrow parses into the value psycopg would
    give, and the Arrow type it is parsed as."""
    import pyarrow as pa

    text = pa.large_string()
    whole = pa.int64()
    return {
        16: pa.bool_(),
        20: whole,  # bigint
        21: whole,  # smallint
        23: whole,  # integer
        25: text,  # text
        1042: text,  # char(n)
        1043: text,  # varchar(n)
        1082: pa.date32(),
        1114: pa.timestamp("us"),  # without time zone, as every timestamp here
        700: pa.float64(),  # real
        701: pa.float64(),  # double precision
    }


def _copied_frames(
    conn: Connection, clause: sa.TextClause, wanted: Mapping[str, Any], chunk_rows: int | None
) -> Generator[pd.DataFrame, None, None] | None:
    """A PostgreSQL query's rows as frames, sent by ``COPY ... TO STDOUT`` and parsed by Arrow.

    Fetching rows makes a Python object of every value and pandas then converts them again
    (strings into Arrow arrays): on a national day that was about a fifth of the reconcile's
    critical path (390,000 candidate pairs for linking, the rules' candidates). Here the
    server writes CSV, which Arrow's C++ reader parses into the same column types. The CSV
    goes to a temporary file first, as the connection is busy while a COPY runs and the
    caller may write between chunks. None (fetch the usual way) on SQLite, and for a result
    with a column of a type not in :func:`_arrow_types` or with two columns of one name.
    """
    if conn.dialect.name != "postgresql":
        return None
    from psycopg import sql

    compiled = clause.bindparams(**wanted).compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    query, values = compiled.string, compiled.params
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        # The result's columns and types, from the planner alone (no row is produced).
        cursor.execute(sql.SQL("SELECT * FROM ({}) AS described LIMIT 0").format(sql.SQL(query)), values)
        described = [(column.name, column.type_code) for column in cursor.description or []]
    columns = [name for name, _ in described]
    known = _arrow_types()
    if len(set(columns)) != len(columns) or any(oid not in known for _, oid in described):
        return None
    types = {name: known[oid] for name, oid in described}
    copy_out = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(sql.SQL(query))
    body = tempfile.TemporaryFile()  # noqa: SIM115 - the generator reading it closes it
    try:
        with raw.cursor() as cursor, cursor.copy(copy_out, values) as copy:
            for block in copy:
                body.write(block)
        body.seek(0)
    except BaseException:
        body.close()
        raise
    return _frames_of_csv(body, columns, types, chunk_rows)


def _frames_of_csv(
    body: IO[bytes], columns: list[str], types: dict[str, Any], chunk_rows: int | None
) -> Generator[pd.DataFrame, None, None]:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    with body:
        if not body.read(1):  # no row (Arrow reads no header from an empty file)
            if chunk_rows is None:
                yield pd.DataFrame([], columns=columns)
            return
        body.seek(0)
        reader = pa_csv.open_csv(
            body,
            read_options=pa_csv.ReadOptions(column_names=columns, block_size=8 << 20),
            # PostgreSQL quotes values holding a delimiter, a quote or a line break, and
            # writes NULL as an empty unquoted field and an empty string as "".
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            # A block of CSV holds many chunks' rows when rows are short: cut it (slices
            # share the block's memory), so a chunk is ``chunk_rows`` rows on both engines.
            while chunk_rows is not None and rows >= chunk_rows:
                table = pa.Table.from_batches(pending, reader.schema)
                yield _frame_of(table.slice(0, chunk_rows))
                rest = table.slice(chunk_rows)
                pending, rows = rest.to_batches(), rest.num_rows
        if pending:
            yield _frame_of(pa.Table.from_batches(pending, reader.schema))


def _frame_of(table: Any) -> pd.DataFrame:
    """An Arrow table as the frame fetched rows give: a column of nothing but NULLs holds
    ``None`` objects, as pandas makes of a column of ``None``."""
    frame = table.to_pandas()
    for name in table.column_names:
        if table.column(name).null_count == table.num_rows:
            frame[name] = pd.Series([None] * table.num_rows, index=frame.index, dtype=object)
    return frame


_MEMORY_FOR_THE_TRANSACTION = sa.text(
    "SELECT set_config('work_mem', :value, true), set_config('maintenance_work_mem', :value, true)"
)


@contextmanager
def transaction(engine: Engine, work_mem: str | None = None) -> Iterator[Connection]:
    """A connection in one transaction; SQLite takes its write lock up front.

    ``BEGIN IMMEDIATE`` makes concurrent SQLite writers queue at the start rather than
    deadlock half-way when both try to upgrade a read lock. ``work_mem`` (PostgreSQL)
    lets the heavy merges and the reconcile sort and hash in memory: the server default
    of 4 MB sends a million-row sort to disk. It is also the transaction's
    ``maintenance_work_mem``, for the indexes the star refresh builds on its staged rows
    (with the default 64 MB the two million guest-night keys of an x4 day, staged until
    migration 0008 made those facts a view, sorted on disk).
    """
    with engine.connect() as conn:
        writer = conn.execution_options(timpora_begin="IMMEDIATE")
        with writer.begin():
            if work_mem and writer.dialect.name == "postgresql":
                writer.execute(_MEMORY_FOR_THE_TRANSACTION, {"value": work_mem})
            yield writer
