"""The analyst star schema: reference dimensions, per-person refresh, and the analyst views.

Dimensions of reference data (dates, regions, nationalities, visa indexes) are loaded with
the migrations. Person-keyed rows are rebuilt by every reconcile for the people it
examined: the rows that follow from the loaded records alone (``dim_person`` and the
check-in, permit and visa facts, :func:`refresh_people`) are staged in session tables
and compared with the stored ones, so that only rows that differ are deleted and only
missing ones inserted (a returning guest's permits and visas are usually unchanged, and
rewriting them was most of the refresh's time on a national day). The guest-night facts
are a view over the run's own nights (migration 0008), whose covering permit
:func:`refresh_guest_nights` settles once the identity links are in. On SQLite both
parts are in the run's one transaction; on PostgreSQL each commits on its own, before the
flags (see ``timpora.reconcile.engine``).

Views (``sql/views/*.sql``) are recreated after migrations; on PostgreSQL the ``analyst``
role is granted SELECT on them and on nothing else.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pycountry
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from timpora.config import get_settings
from timpora.privacy import pseudonyms
from timpora.reference import regions
from timpora.reference.visa_catalogue import editions
from timpora.rules import purpose
from timpora.rules.config import RulesConfig
from timpora.warehouse.bulk import insert_frame
from timpora.warehouse.db import key_pages, query_frame, query_frames, run_sql, sql_statements

ANALYST_ROLE = "analyst"
EPOCH = date(1970, 1, 1)
_VIEW_NAME = re.compile(r"CREATE\s+VIEW\s+(\w+)", re.IGNORECASE)
# Codes the feeds accept that pycountry does not name (ICAO's and our own).
_EXTRA_NATIONALITIES = {"XXA": "Stateless", "XXB": "Refugee", "XXC": "Refugee (other)", "XXX": "Unspecified"}


def view_files() -> list[Path]:
    return sorted((get_settings().sql_dir / "views").glob("*.sql"))


def view_name(path: Path) -> str:
    match = _VIEW_NAME.search(path.read_text(encoding="utf-8"))
    if not match:
        raise RuntimeError(f"{path} does not create a view")
    return match.group(1)


def has_star(conn: Connection) -> bool:
    return sa.inspect(conn).has_table("dim_date")


def load_reference(conn: Connection) -> None:
    """Reference dimensions, idempotently (cheap when already loaded)."""
    if conn.execute(sa.text("SELECT COUNT(*) FROM dim_date")).scalar_one() == 0:
        days = pd.read_sql(sa.text("SELECT day, day_number FROM calendar_day"), conn)
        stamps = pd.to_datetime(days["day"])
        iso = stamps.dt.isocalendar()
        insert_frame(
            conn,
            "dim_date",
            pd.DataFrame(
                {
                    "date_key": days["day_number"],
                    "day": stamps.dt.date,
                    "year": stamps.dt.year,
                    "month": stamps.dt.month,
                    "day_of_month": stamps.dt.day,
                    "iso_week": iso["week"].astype("int64"),
                    "iso_weekday": iso["day"].astype("int64"),
                    "month_label": stamps.dt.strftime("%Y-%m"),
                }
            ),
        )
    table = regions()
    if conn.execute(sa.text("SELECT COUNT(*) FROM dim_region")).scalar_one() != len(table):
        conn.execute(sa.text("DELETE FROM dim_region"))
        insert_frame(
            conn,
            "dim_region",
            pd.DataFrame(
                [
                    {
                        "region_code": r.code,
                        "name": r.name,
                        "level": r.level,
                        "province_code": r.province_code,
                        "province_name": table[r.province_code].name,
                        "timezone": r.timezone,
                    }
                    for r in table.values()
                ]
            ),
        )
    if conn.execute(sa.text("SELECT COUNT(*) FROM dim_nationality")).scalar_one() == 0:
        names = {c.alpha_3: c.name for c in pycountry.countries} | _EXTRA_NATIONALITIES
        insert_frame(
            conn,
            "dim_nationality",
            pd.DataFrame({"nationality_code": list(names), "name": list(names.values())}),
        )
    if conn.execute(sa.text("SELECT COUNT(*) FROM dim_visa_index")).scalar_one() == 0:
        insert_frame(
            conn,
            "dim_visa_index",
            pd.DataFrame(
                [
                    {
                        "edition": e.edition,
                        "visa_index": i.code,
                        "in_force_from": e.in_force_from,
                        "kind": i.kind,
                        "name_en": i.name_en,
                        "activities": ",".join(sorted(i.activities)),
                        "max_stay_days": i.max_stay_days,
                        "allows_work": int(i.allows_work),
                        "permit_type": i.permit_type,
                    }
                    for e in editions()
                    for i in e.indexes.values()
                ]
            ),
        )


def apply_views(conn: Connection) -> list[str]:
    """(Re)create the analyst views; on PostgreSQL grant the analyst role those and only those."""
    names = []
    for path in view_files():
        name = view_name(path)
        conn.execute(sa.text(f"DROP VIEW IF EXISTS {name}"))
        for statement in sql_statements(f"views/{path.stem}", conn.dialect.name):
            conn.execute(sa.text(statement))
        names.append(name)
    if conn.dialect.name == "postgresql":
        for statement in sql_statements("views/grants/analyst_role", conn.dialect.name):
            conn.execute(sa.text(statement))
        for name in names:
            conn.execute(sa.text(f"GRANT SELECT ON {name} TO {ANALYST_ROLE}"))
    return names


def _day_keys(values: pd.Series) -> pd.Series:
    return (pd.to_datetime(values, format="ISO8601").dt.normalize() - pd.Timestamp(EPOCH)).dt.days


# Person-keyed star tables, the session table their next rows are staged in, their keys,
# and whether only the people in scope whose permits or visas changed have them staged.
_PEOPLE_STAGED: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("dim_person", "star_next_person", ("person_key",), False),
    ("fact_check_in", "star_next_check_in", ("report_id",), False),
    ("fact_permit", "star_next_permit", ("permit_number",), True),
    ("fact_visa", "star_next_visa", ("visa_number",), True),
)


def refresh_people(conn: Connection, config: RulesConfig, page_rows: int = 100_000) -> None:
    """The scope's star rows that follow from the loaded records alone: ``dim_person``,
    ``dim_lodging``, ``fact_check_in``, ``fact_permit`` and ``fact_visa``. The permit and
    visa facts only of the people whose documents changed (``reconcile_scope``'s
    ``documents_changed``): a returning guest's are as the run that loaded them left them.

    The people's source records are read in pages of about ``page_rows`` rows, each
    person's in one page: a full reconcile over a year's warehouse reads millions of them,
    and read at once they were most of that run's peak memory on SQLite.

    Nothing here reads what a reconcile run writes (nights, links, flags), so on PostgreSQL
    the reconcile runs this on a second connection while it links identities.
    """
    run_sql(conn, "star/stage_next_people")
    known = {row[0] for row in conn.execute(sa.text("SELECT nationality_code FROM dim_nationality"))}
    chunks = query_frames(conn, "star/person_sources", chunk_rows=page_rows)
    for sources in key_pages(chunks, "person_key", "star/person_sources"):
        # Every source's nationality, not only the chosen one: the guest-night facts name
        # the stay's. The distinct codes first: iterating half a million source rows' Arrow
        # strings in Python took 0.6 s of a national day's star refresh.
        missing = sorted(set(sources["nationality"].dropna().unique()) - known)
        if missing:
            insert_frame(conn, "dim_nationality", pd.DataFrame({"nationality_code": missing, "name": missing}))
            known.update(missing)
        # A person's first record in the SQL's order: the stay's, then a permit's, then a visa's.
        first = sources.drop_duplicates("person_key")
        people = pd.DataFrame(
            {
                "person_key": first["person_key"].to_numpy(),
                "person_pseudonym": pseudonyms(first["person_key"].astype(str)),
                "nationality_code": first["nationality"].to_numpy(),
                "sex": first["sex"].to_numpy(),
                "birth_year": pd.to_datetime(first["date_of_birth"], format="ISO8601").dt.year.to_numpy(),
            }
        )
        insert_frame(conn, "star_next_person", people, types_from="dim_person")
    run_sql(conn, "star/upsert_lodging")
    run_sql(conn, "star/fact_check_in", {"late_report_seconds": config.thresholds.late_report_hours * 3600})
    run_sql(conn, "star/fact_permit")
    visas = query_frame(conn, "star/visas_in_scope", copy_out=True)
    if len(visas):
        insert_frame(
            conn,
            "star_next_visa",
            pd.DataFrame(
                {
                    "visa_number": visas["visa_number"],
                    "person_key": visas["person_key"],
                    "edition": purpose.edition_of(visas["issued_at"]),
                    "visa_index": visas["visa_index"],
                    "status": visas["status"],
                    "purpose": visas["purpose"],
                    "sponsor_type": visas["sponsor_type"],
                    "issued_date_key": _day_keys(visas["issued_at"]),
                    "valid_until_key": _day_keys(visas["valid_until"]),
                }
            ),
            types_from="fact_visa",
        )
    run_sql(conn, "star/index_next_people")
    run_sql(conn, "star/analyze_next_people")
    for table, staged, keys, documents_only in _PEOPLE_STAGED:
        apply_staged(conn, table, staged, keys, documents_only)
    run_sql(conn, "star/drop_next_people")


def refresh_guest_nights(conn: Connection, config: RulesConfig) -> None:
    """The scope's guest-night facts, from the nights and identity links of the run on
    ``conn``, and the monitoring windows of ``config``.

    ``fact_guest_night`` is a view over ``guest_night``, which the nights build fills with
    the covering permit of every permit on the guest's passport key; here the nights of
    stays with a MISMATCH permit link lose what only that permit gave them.
    """
    run_sql(conn, "star/linked_coverage")
    conn.execute(sa.text("DELETE FROM monitoring_window"))
    windows = [
        {
            "name": w.name,
            "region_prefix": prefix,
            "date_from": w.date_from,
            "date_until": w.date_until,
            "priority_boost": w.priority_boost,
        }
        for w in config.monitoring_windows
        for prefix in w.region_prefixes
    ]
    if windows:
        insert_frame(conn, "monitoring_window", pd.DataFrame(windows))


def apply_staged(
    conn: Connection, table: str, staged: str, keys: tuple[str, ...], documents_only: bool = False
) -> tuple[int, int]:
    """Make the scope's rows of ``table`` those staged in ``staged``; (deleted, inserted).

    A stored row of a person in scope goes unless an identical row is staged (NULLs equal);
    the staged rows whose key is then still stored are identical and are dropped from the
    stage; what remains is inserted. Rows of people outside the scope are not touched, nor,
    if ``documents_only``, those of people in scope whose documents did not change.
    """
    columns = [column["name"] for column in sa.inspect(conn).get_columns(table)]
    stored = sa.table(table, *(sa.column(c) for c in columns))
    next_rows = sa.table(staged, *(sa.column(c) for c in columns))
    scope_table = sa.table("reconcile_scope", sa.column("person_key"), sa.column("documents_changed"))
    scope = sa.select(scope_table.c.person_key)
    if documents_only:
        scope = scope.where(scope_table.c.documents_changed == 1)
    same_key = sa.and_(*(stored.c[k] == next_rows.c[k] for k in keys))
    # Keys compare with "=" so the planner can join on them (hash or index); IS NOT
    # DISTINCT FROM alone cannot be hashed, and PostgreSQL then scanned the staged rows
    # once per stored row.
    identical = sa.and_(same_key, *(stored.c[c].is_not_distinct_from(next_rows.c[c]) for c in columns if c not in keys))
    deleted = conn.execute(
        sa.delete(stored)
        .where(person_key_in(conn, table, stored.c.person_key, scope))
        .where(~sa.exists().where(identical))
    ).rowcount
    conn.execute(sa.delete(next_rows).where(sa.exists().where(same_key)))
    # A plain INSERT of what is left: a NOT EXISTS against the table being filled would
    # scan it, new rows included, once per staged row when the planner thinks it empty,
    # and ON CONFLICT pays a speculative insertion per row.
    inserted = conn.execute(
        sa.insert(stored).from_select(columns, sa.select(*(next_rows.c[c] for c in columns)))
    ).rowcount
    return deleted, inserted


def person_key_in(
    conn: Connection, table: str, person_key: sa.ColumnClause[str], people: sa.Select[tuple[str]]
) -> sa.ColumnElement[bool]:
    """``person_key IN (people)``, in the form PostgreSQL plans best for their number.

    PostgreSQL plans the ``IN`` as a hash join over a scan of the whole stored table: on a
    national day, two million permit facts read to delete 45 rows of 40,000 people (1.2 s;
    ``dim_person``: 1.9 s for 200,000 people). Given the keys as one array it probes the
    table's person index for each (0.2 s and 0.8 s). Past a quarter of the table (a full
    reconcile) the scan is the cheaper, and the ``IN`` stays.
    """
    if conn.dialect.name != "postgresql":
        return person_key.in_(people)
    listed = conn.execute(sa.select(sa.func.count()).select_from(people.subquery())).scalar_one()
    stored = conn.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), {"table": table}
    ).scalar_one()
    if listed * 4 > stored:
        return person_key.in_(people)
    # The CAST makes the subquery one array value: "= ANY (SELECT ...)" would be the IN again.
    listing = people.subquery()
    keys = sa.select(sa.func.array_agg(listing.c.person_key)).scalar_subquery()
    return person_key == sa.any_(sa.cast(keys, postgresql.ARRAY(sa.String())))


def first_day(day_key: int) -> date:
    return EPOCH + timedelta(days=day_key)
