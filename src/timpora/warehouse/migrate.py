"""Versioned schema migrations (``sql/migrations/NNNN_name.sql``) and reference data.

Migrations are applied in order, each in its own transaction (with its data step, if it
has one: see ``DATA_STEPS``), and recorded in ``schema_migration``; running
:func:`migrate` again applies only what is new. On PostgreSQL an advisory lock keeps two
workers from migrating at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from timpora.config import ConfigError, Settings, get_settings
from timpora.flags.repair import repair_run_wide_disagreements
from timpora.reference import regions
from timpora.review.audit import chain_existing_rows
from timpora.warehouse import star
from timpora.warehouse.db import run_sql, sql_statements, transaction, warehouse_engine

_MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# An arbitrary constant: the advisory lock id all TIMPORA migrators agree on.
_PG_MIGRATION_LOCK = 7_316_640_215
CALENDAR_FIRST = date(2000, 1, 1)
CALENDAR_LAST = date(2045, 12, 31)
EPOCH_DAY = date(1970, 1, 1)


# What a migration's SQL cannot do, run after it in its transaction (its file says why).
DATA_STEPS: dict[int, Callable[[Connection], object]] = {12: repair_run_wide_disagreements, 13: chain_existing_rows}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def available_migrations(sql_dir: Path | None = None) -> list[Migration]:
    """Numbered migrations in version order (dialect twins are not listed separately)."""
    folder = (sql_dir or get_settings().sql_dir) / "migrations"
    found = []
    for path in folder.iterdir():
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], path))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number in {folder}")
    return found


def applied_versions(conn: Connection) -> set[int]:
    if not sa.inspect(conn).has_table("schema_migration"):
        return set()
    return {row[0] for row in conn.execute(sa.text("SELECT version FROM schema_migration"))}


class SchemaNotReady(ConfigError):
    """The warehouse lacks migrations this code needs, and this role may not apply them."""


def pending_versions(engine: Engine) -> list[int]:
    """Migrations not applied yet (all of them on an empty database)."""
    with engine.connect() as conn:
        applied = applied_versions(conn)
    return [m.version for m in available_migrations() if m.version not in applied]


def ensure_migrated(settings: Settings | None = None) -> None:
    """Make sure the warehouse has every migration before a task or the app uses it.

    Embedded, where the one login owns the schema, pending migrations are applied. In
    production migrations belong to the owner (least privilege: the app and the tasks
    connect as a runtime role that may not change the schema), so this refuses, naming
    the command.
    """
    settings = settings or get_settings()
    engine = warehouse_engine(settings)
    pending = pending_versions(engine)
    if not pending:
        return
    if settings.separate_owner or settings.production:
        raise SchemaNotReady(
            f"the warehouse lacks migrations {pending}: run `timpora db migrate` (it connects as the owner, "
            "TIMPORA_WAREHOUSE_OWNER_URL) before the app and the DAG tasks"
        )
    migrate(engine)


def migrate(engine: Engine, target: int | None = None) -> list[int]:
    """Apply pending migrations up to ``target`` (all by default); returns what was applied."""
    applied_now: list[int] = []
    for migration in available_migrations():
        if target is not None and migration.version > target:
            break
        with transaction(engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _PG_MIGRATION_LOCK})
            run_sql(conn, "migrations/schema_migration")
            if migration.version in applied_versions(conn):
                continue
            for statement in sql_statements(f"migrations/{migration.path.stem}", conn.dialect.name):
                conn.execute(sa.text(statement))
            data_step = DATA_STEPS.get(migration.version)
            if data_step is not None:
                data_step(conn)
            conn.execute(
                sa.text("INSERT INTO schema_migration (version, name, applied_at) VALUES (:v, :n, :at)"),
                {"v": migration.version, "n": migration.name, "at": datetime.now(UTC).replace(tzinfo=None)},
            )
            applied_now.append(migration.version)
    load_reference_data(engine)
    with transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _PG_MIGRATION_LOCK})
        if star.has_star(conn):
            star.load_reference(conn)
            star.apply_views(conn)
        if conn.dialect.name == "postgresql":
            # After the views, so the runtime role's grants cover every table and view there is.
            for statement in sql_statements("views/grants/runtime_role", conn.dialect.name):
                conn.execute(sa.text(statement))
    return applied_now


def day_number(day: date) -> int:
    """Days since 1970-01-01: lets SQL find consecutive nights without date functions."""
    return (day - EPOCH_DAY).days


def load_reference_data(engine: Engine) -> None:
    """Regions and the calendar, loaded idempotently (cheap when already present)."""
    with transaction(engine) as conn:
        expected_days = (CALENDAR_LAST - CALENDAR_FIRST).days + 1
        have_days = conn.execute(sa.text("SELECT COUNT(*) FROM calendar_day")).scalar_one()
        if have_days != expected_days:
            days = [CALENDAR_FIRST + timedelta(days=i) for i in range(expected_days)]
            rows = [{"day": d.isoformat(), "day_number": day_number(d)} for d in days]
            for statement in sql_statements("reference/insert_calendar_day", conn.dialect.name):
                conn.execute(sa.text(statement), rows)
        have_regions = conn.execute(sa.text("SELECT COUNT(*) FROM region")).scalar_one()
        table = regions()
        if have_regions != len(table):
            rows = [
                {
                    "region_code": r.code,
                    "name": r.name,
                    "level": r.level,
                    "province_code": r.province_code,
                    "timezone": r.timezone,
                }
                for r in table.values()
            ]
            for statement in sql_statements("reference/upsert_region", conn.dialect.name):
                conn.execute(sa.text(statement), rows)
