"""Schema migrations upgrade a warehouse of the first version, with its data, on both engines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL
from timpora.config import override_environment
from timpora.warehouse.db import dispose_engines, warehouse_engine
from timpora.warehouse.migrate import available_migrations, migrate

V1_ROWS = [
    "INSERT INTO file_ledger (ledger_id, feed, object_key, object_version, content_sha256, size_bytes, "
    "landing_date, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate, registered_at, loaded_at) "
    "VALUES ('L1', 'hotel_guest', 'hotel_guest/2024/10/03/LDG-167101_20241003T1200.csv', 1, 'abc', 10, "
    "'2024-10-03', 'LOADED', 1, 1, 0, 0, '2024-10-03 05:00:00', '2024-10-03 05:00:01')",
    "INSERT INTO guest_stay (report_id, status, lodging_id, lodging_name, lodging_region_code, guest_surname, "
    "guest_given_names, sex, date_of_birth, nationality, nationality_raw, passport_number, passport_number_raw, "
    "passport_key, check_in_local, check_in_utc, check_in_epoch, check_in_date, last_event, event_count, "
    "source_ledger_id, source_line_no, source_row_hash) VALUES ('LDG-167101-00001', 'OPEN', 'LDG-167101', "
    "'Hotel Sriwijaya Palembang', '16.71', 'NOVAK', 'PETR', 'M', '1982-12-12', 'CZE', 'CZECHIA', 'N00000001', "
    "'N00000001', 'N00000001', '2024-10-02 20:00:00', '2024-10-02 13:00:00', 1727874000, '2024-10-02', "
    "'CHECK_IN', 1, 'L1', 2, 'h1')",
    # A mark a reconcile run claimed and then died on.
    "INSERT INTO reconcile_dirty (person_key, claimed_by) VALUES ('N00000001', 'reconcile-dead')",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        override_environment(data_dir=str(tmp_path / "data"), warehouse_url=f"sqlite:///{tmp_path / 'old.db'}")
        yield warehouse_engine()
    else:
        name = f"timpora_m_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        override_environment(data_dir=str(tmp_path / "data"), warehouse_url=PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
        yield warehouse_engine()
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    dispose_engines()
    override_environment(data_dir=None, warehouse_url=None)


def test_upgrade_from_the_first_version_keeps_the_data(empty_warehouse: sa.Engine) -> None:
    from timpora.flags.queries import list_flags
    from timpora.reconcile.engine import reconcile

    engine = empty_warehouse
    assert migrate(engine, target=1) == [1]
    with engine.begin() as conn:
        assert not sa.inspect(conn).has_table("identity_link")
        for statement in V1_ROWS:
            conn.execute(sa.text(statement))
    newer = [m.version for m in available_migrations() if m.version > 1]
    assert migrate(engine) == newer
    assert migrate(engine) == []  # up to date: nothing to apply
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in ("identity_link", "app_user", "audit_log", "dim_date", "fact_guest_night"):
            assert inspector.has_table(table), table
        assert "material_hash" in {c["name"] for c in inspector.get_columns("flag")}
        assert "analyst_uncovered_guest_nights" in inspector.get_view_names()
        versions = [row[0] for row in conn.execute(sa.text("SELECT version FROM schema_migration ORDER BY version"))]
        assert versions == [1, *newer]
        assert conn.execute(sa.text("SELECT passport_key FROM guest_stay")).scalar_one() == "N00000001"
        # Migration 0009: a claim left on a mark becomes a plain mark, for the next run to take.
        assert conn.execute(sa.text("SELECT person_key, marked_by FROM reconcile_dirty")).all() == [("N00000001", None)]
        if conn.dialect.name == "postgresql":
            # Migration 0010: what a crash may lose is only what a retry rebuilds; the marks,
            # the history and the current tables stay logged.
            persistence: dict[str, str] = dict(
                conn.execute(sa.text("SELECT relname, relpersistence FROM pg_class WHERE relkind = 'r'")).all()
            )
            staging = ("stg_visa", "stg_stay_permit", "stg_hotel_guest_event", "merge_touched_report")
            assert {table: persistence[table] for table in staging} == dict.fromkeys(staging, "u")
            assert {persistence[t] for t in ("reconcile_dirty", "reconcile_scope", "hotel_guest_event", "visa")} == {
                "p"
            }
    # The upgraded warehouse works: the old stay raises its flag and reaches the analyst views.
    reconcile()
    flags = list_flags()
    assert list(flags["rule_code"]) == ["NO_VALID_PERMIT"]
    with engine.connect() as conn:
        nights = conn.execute(sa.text("SELECT COUNT(*) FROM analyst_uncovered_guest_nights")).scalar_one()
    assert nights == 2
