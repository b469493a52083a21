"""The analyst views on the literal fixture day, with hand-computed rows, on SQLite and PostgreSQL.

The fixture (tests/test_rules.py) is small enough to count by hand: who slept where on
2 October, which nights no permit covered, how fast each lodging reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.test_rules import DAY, HOTEL_COLUMNS, PERMIT_COLUMNS, _guest, _permit, _visa, fixture_day, land
from timpora.config import get_settings
from timpora.ingest.pipeline import ingest_keys
from timpora.privacy import pseudonym
from timpora.reconcile.engine import reconcile
from timpora.warehouse import star
from timpora.warehouse.db import owner_engine, run_sql, warehouse_engine
from timpora.warehouse.star import person_key_in, view_files, view_name


@pytest.fixture
def fixture_warehouse(warehouse: str, landing: Path) -> str:
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    return warehouse


def rows(sql: str, **params: Any) -> list[dict[str, Any]]:
    with warehouse_engine(get_settings()).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def _day(value: Any) -> str:
    return str(value)[:10]


def test_every_view_says_what_it_answers() -> None:
    for path in view_files():
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("-- ") and len(header) > 30, path
        assert view_name(path) == path.stem


def test_foreigners_present_on_2_october(fixture_warehouse: str) -> None:
    found = {
        (r["region_code"], r["nationality_code"], r["permit_type"]): (r["people"], r["guest_nights"])
        for r in rows("SELECT * FROM analyst_foreigners_present")
        if _day(r["day"]) == "2024-10-02"
    }
    assert found == {
        # Smith, Brown, White, Green, King, Young, Allen, Scott, Adams
        ("16.71", "AUS", "ITK"): (9, 9),
        # Taylor (NGO), Wilson (home province), Hall (registered in Jakarta)
        ("16.71", "AUS", "ITAS"): (3, 3),
        ("16.71", "EGY", "ITK"): (1, 1),  # Hassan, linked through the noise
        ("16.71", "AUS", "NONE"): (3, 3),  # Novak (no permit), Clark and Lewis (overstays)
        ("16.71", "CHN", "NONE"): (1, 1),  # Liu on Wang's passport: not the holder, not covered
        ("16.71", "TWN", "NONE"): (1, 1),
        ("16.72", "AUS", "ITK"): (3, 3),  # Jones (moved in), O'Neill, Young's second room
    }


def test_uncovered_guest_nights(fixture_warehouse: str) -> None:
    found = {(r["report_id"], _day(r["day"])) for r in rows("SELECT * FROM analyst_uncovered_guest_nights")}
    assert found == {
        ("LDG-167101-00011", "2024-10-02"),
        ("LDG-167101-00011", "2024-10-03"),
        ("LDG-167101-00012", "2024-10-01"),
        ("LDG-167101-00012", "2024-10-02"),
        ("LDG-167101-00013", "2024-10-02"),
        ("LDG-167101-00013", "2024-10-03"),
        ("LDG-167101-00014", "2024-10-02"),
        ("LDG-167101-00014", "2024-10-03"),
        ("LDG-167101-00015", "2024-10-02"),
        ("LDG-167101-00015", "2024-10-03"),
    }
    people = {r["person_pseudonym"] for r in rows("SELECT person_pseudonym FROM analyst_uncovered_guest_nights")}
    assert pseudonym("N00000001") in people and len(people) == 5


# The covering permit by its definition: an identity-LINKED stay permit valid that night,
# active or cancelled/revoked after the night began; the lowest type when several.
LINKED_COVERAGE = """
SELECT n.report_id, n.night_number AS date_key, MIN(p.permit_type) AS permit_type
FROM guest_night AS n
LEFT JOIN identity_link AS l
    ON l.report_id = n.report_id AND l.document_kind = 'PERMIT' AND l.verdict = 'LINKED'
LEFT JOIN stay_permit AS p
    ON p.permit_number = l.document_number
    AND p.valid_from <= n.night_date AND p.valid_until >= n.night_date
    AND (p.status = 'ACTIVE' OR n.night_date < p.updated_at)
GROUP BY n.report_id, n.night_number
"""


def test_guest_nights_are_covered_only_by_identity_linked_permits(fixture_warehouse: str) -> None:
    """The nights are built covered by any permit on the passport key and corrected once the
    links are in: the facts must equal coverage by LINKED permits alone, night by night,
    including the nights where a MISMATCH-linked permit would have covered them."""
    facts = {
        (r["report_id"], r["date_key"]): (r["covered_by_permit"], r["permit_type"])
        for r in rows("SELECT * FROM fact_guest_night")
    }
    expected = {
        (r["report_id"], r["date_key"]): (0 if r["permit_type"] is None else 1, r["permit_type"])
        for r in rows(LINKED_COVERAGE)
    }
    assert facts == expected
    mismatched = rows(
        """
        SELECT DISTINCT n.report_id FROM guest_night AS n
        INNER JOIN identity_link AS l
            ON l.report_id = n.report_id AND l.document_kind = 'PERMIT' AND l.verdict = 'MISMATCH'
        INNER JOIN stay_permit AS p
            ON p.permit_number = l.document_number
            AND p.valid_from <= n.night_date AND p.valid_until >= n.night_date AND p.status = 'ACTIVE'
        """
    )
    assert mismatched, "no night a MISMATCH-linked permit would cover: the correction is not exercised"


def test_overstays_by_region(fixture_warehouse: str) -> None:
    found = rows("SELECT region_code, month, flags, people, nights, open_flags FROM analyst_overstays_by_region")
    assert found == [
        {"region_code": "16.71", "month": "2024-10", "flags": 2, "people": 2, "nights": 4, "open_flags": 2}
    ]


def test_lodging_reporting_compliance(fixture_warehouse: str) -> None:
    found = {
        r["lodging_id"]: (
            r["check_ins"],
            r["check_ins_with_report_time"],
            r["reported_in_time"],
            float(r["share_in_time"]),
            float(r["average_delay_hours"]),
            float(r["worst_delay_hours"]),
        )
        for r in rows("SELECT * FROM analyst_lodging_reporting_compliance")
    }
    # Palembang: 19 stays (one cancelled stay does not count), 14 with their CHECK_IN report,
    # 13 of them within 24 hours; delays 11 x 1 h, 23 h and 28.5 h -> 62.5 / 14 = 4.46 h.
    assert found["LDG-167101"] == (19, 14, 13, 0.9286, 4.5, 28.5)
    # Pagar Alam: 0.5 h, 1 h and 1 h.
    assert found["LDG-167201"] == (3, 3, 3, 1.0, 0.8, 1.0)


def test_flags_summary_and_monitoring_window(fixture_warehouse: str) -> None:
    summary = {
        r["rule_code"]: (r["flags"], r["people"], r["nights"], r["status"], r["disposition"])
        for r in rows("SELECT * FROM analyst_flags_summary")
    }
    assert summary == {
        "NO_VALID_PERMIT": (1, 1, 2, "OPEN", "NONE"),
        "OVERSTAY": (2, 2, 4, "OPEN", "NONE"),
        "IDENTITY_MISMATCH": (2, 2, 4, "OPEN", "NONE"),
        "PURPOSE_MISMATCH": (1, 1, 2, "OPEN", "NONE"),
        "REGION_MISMATCH": (1, 1, 39, "OPEN", "NONE"),
        "CONCURRENT_STAY": (1, 1, 2, "OPEN", "NONE"),
        "LATE_REPORT": (1, 1, 0, "OPEN", "NONE"),
        "DOCUMENT_INVALID": (2, 2, 0, "OPEN", "NONE"),
    }
    window = {
        r["rule_code"]: (r["window_name"], r["flags"], r["open_flags"])
        for r in rows("SELECT * FROM analyst_monitoring_window_summary")
    }
    assert window == {rule: ("Pilkada 2024 Sumatera Selatan", v[0], v[0]) for rule, v in summary.items()}


def test_people_carry_a_stable_pseudonym_only(fixture_warehouse: str) -> None:
    people = {r["person_pseudonym"]: r for r in rows("SELECT * FROM analyst_people")}
    hall = people[pseudonym("R00000001")]
    assert (hall["guest_nights"], hall["uncovered_nights"], hall["birth_year"]) == (39, 0, 1978)
    for path in view_files():
        name = view_name(path)
        columns = rows(f"SELECT * FROM {name}")[0].keys() if rows(f"SELECT COUNT(*) AS n FROM {name}")[0]["n"] else []
        assert not {"passport_number", "passport_key", "person_key", "guest_surname", "surname"} & set(columns), name
        assert "R00000001" not in str(rows(f"SELECT * FROM {name}")), name
    # Stable across loads: a full re-run rebuilds the star with the same pseudonyms.
    reconcile(full=True)
    assert set(people) == {r["person_pseudonym"] for r in rows("SELECT person_pseudonym FROM analyst_people")}


def test_pseudonyms_depend_on_the_key() -> None:
    assert pseudonym("R00000001", "key-a") == pseudonym("R00000001", "key-a")
    assert pseudonym("R00000001", "key-a") != pseudonym("R00000001", "key-b")
    assert pseudonym("R00000001", "key-a") != pseudonym("R00000002", "key-a")


def test_the_analyst_role_reads_views_and_no_base_table(fixture_warehouse: str) -> None:
    if fixture_warehouse != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    engine = owner_engine(get_settings())  # the runtime login is no member of analyst
    with engine.connect() as conn:
        conn.execute(sa.text("SET ROLE analyst"))
        for path in view_files():
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {view_name(path)}")).scalar_one()
        tables = sa.inspect(engine).get_table_names()
        assert {"guest_stay", "flag", "dim_person", "audit_log", "app_user"} <= set(tables)
        for table in tables:
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), conn.begin_nested():
                conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1"))
        conn.rollback()


def test_flag_fact_carries_keys_and_pseudonyms(fixture_warehouse: str) -> None:
    facts = rows("SELECT * FROM fact_flag")
    assert len(facts) == 11
    # The pseudonym is of the linking key: O00000001 folds to 000000001 (O/0 confusion).
    overstay = next(
        r for r in facts if r["rule_code"] == "OVERSTAY" and r["person_pseudonym"] == pseudonym("000000001")
    )
    days = {r["date_key"]: _day(r["day"]) for r in rows("SELECT date_key, day FROM dim_date WHERE year = 2024")}
    assert (days[overstay["first_night_key"]], days[overstay["last_night_key"]]) == ("2024-10-01", "2024-10-02")
    assert all(r["raised_date_key"] is not None and r["closed_date_key"] is None for r in facts)
    assert all(r["person_pseudonym"].startswith("PSN-") for r in facts)


# Every reference of the star, as the SQLite DDL declares it. PostgreSQL does not enforce
# them (migration 0006: per-row triggers cost the refresh minutes on a national day); the
# refresh must keep them, and this proves it.
STAR_REFERENCES = [
    ("dim_person", "nationality_code", "dim_nationality", "nationality_code"),
    ("dim_lodging", "region_code", "dim_region", "region_code"),
    ("fact_check_in", "person_key", "dim_person", "person_key"),
    ("fact_check_in", "lodging_id", "dim_lodging", "lodging_id"),
    ("fact_check_in", "region_code", "dim_region", "region_code"),
    ("fact_check_in", "check_in_date_key", "dim_date", "date_key"),
    ("fact_permit", "person_key", "dim_person", "person_key"),
    ("fact_permit", "region_code", "dim_region", "region_code"),
    ("fact_permit", "valid_from_key", "dim_date", "date_key"),
    ("fact_permit", "valid_until_key", "dim_date", "date_key"),
    ("fact_visa", "person_key", "dim_person", "person_key"),
    ("fact_visa", "issued_date_key", "dim_date", "date_key"),
    ("fact_visa", "valid_until_key", "dim_date", "date_key"),
]
# The guest-night facts are a view over the nights (migration 0008): nothing declares its
# references, and the reconcile keeps them all the same.
VIEW_REFERENCES = [
    ("fact_guest_night", "date_key", "dim_date", "date_key"),
    ("fact_guest_night", "person_key", "dim_person", "person_key"),
    ("fact_guest_night", "lodging_id", "dim_lodging", "lodging_id"),
    ("fact_guest_night", "region_code", "dim_region", "region_code"),
    ("fact_guest_night", "nationality_code", "dim_nationality", "nationality_code"),
]


def test_star_references_are_declared_as_listed() -> None:
    """The list above is the schema's: a new reference must be added to it (and kept)."""
    engine = sa.create_engine("sqlite://")
    from timpora.warehouse.migrate import migrate

    migrate(engine)
    inspector = sa.inspect(engine)
    declared = {
        (table, column, fk["referred_table"], fk["referred_columns"][i])
        for table in inspector.get_table_names()
        if table.startswith(("fact_", "dim_"))
        for fk in inspector.get_foreign_keys(table)
        for i, column in enumerate(fk["constrained_columns"])
    }
    engine.dispose()
    assert declared == set(STAR_REFERENCES)


def test_star_keeps_its_references_after_reconciles(fixture_warehouse: str, landing: Path) -> None:
    """No fact or dimension row names a missing row, after a first and a repeated reconcile."""
    reconcile(full=True)
    with warehouse_engine(get_settings()).connect() as conn:
        for table, column, referred, key in STAR_REFERENCES + VIEW_REFERENCES:
            child, parent = sa.table(table, sa.column(column)), sa.table(referred, sa.column(key))
            total = conn.execute(sa.select(sa.func.count()).select_from(child)).scalar_one()
            orphans = conn.execute(
                sa.select(sa.func.count())
                .select_from(child)
                .where(child.c[column].is_not(None))
                .where(~sa.exists().where(parent.c[key] == child.c[column]))
            ).scalar_one()
            assert orphans == 0, f"{table}.{column}: {orphans} rows name no {referred}.{key}"
            if table.startswith("fact_") and table != "fact_visa":
                assert total > 0, f"{table} is empty: the check proves nothing"


# The star tables the refresh stages and compares; the guest-night facts are a view over
# the nights, which every run rebuilds for the people it examines.
PERSON_STAR = ("dim_person", "fact_check_in", "fact_permit", "fact_visa")


def _star_rows() -> dict[str, set[tuple[Any, ...]]]:
    with warehouse_engine(get_settings()).connect() as conn:
        return {
            name: {tuple(r) for r in conn.execute(sa.select(sa.text("*")).select_from(sa.table(name)))}
            for name in (*PERSON_STAR, "fact_guest_night")
        }


def _physical_ids(table: str) -> set[str]:
    """Where each row physically lives: a rewritten row moves (PostgreSQL ctid, SQLite rowid)."""
    with warehouse_engine(get_settings()).connect() as conn:
        where = "ctid::text" if conn.dialect.name == "postgresql" else "CAST(rowid AS TEXT)"
        return set(conn.execute(sa.select(sa.literal_column(where)).select_from(sa.table(table))).scalars())


def test_star_refresh_writes_only_what_changed_and_equals_a_rebuild(fixture_warehouse: str, landing: Path) -> None:
    """The refresh compares staged rows with stored ones: unchanged rows are not rewritten,
    changed ones are, and the result is what a rebuild from nothing gives."""
    untouched = {name: _physical_ids(name) for name in PERSON_STAR}
    reconcile(full=True)
    assert {name: _physical_ids(name) for name in PERSON_STAR} == untouched

    # Clark's permit is extended (fact_permit row changes, her nights become covered);
    # Novak's stay is cancelled (his nights and check-in go).
    extension = _permit(
        "ITK-OVER-01",
        "O00000001",
        "CLARK",
        "ELLA",
        "1987-11-12",
        "F",
        valid_until="2024-12-31",
        version=2,
        updated_at="2024-10-03T09:00:00+07:00",
    )
    cancel = _guest(
        "00011",
        "16.71",
        "Novak",
        "Petr",
        "L",
        "12/12/1982",
        "N00000001",
        "02/10/2024 20:00",
        "03/10/2024 10:00",
        event="CANCEL",
    )[1]
    before = _star_rows()
    ingest_keys(
        land(
            landing,
            {
                f"stay_permit/{DAY}/KANIM-PLG_20241003_1500.csv": [PERMIT_COLUMNS, extension],
                f"hotel_guest/{DAY}/LDG-167101_20241003T1500.csv": [HOTEL_COLUMNS, cancel],
            },
        )
    )
    reconcile()
    after = _star_rows()
    assert after["fact_permit"] != before["fact_permit"]
    assert {r for r in before["fact_check_in"] if r[0] == "LDG-167101-00011"}
    assert not {r for r in after["fact_check_in"] if r[0] == "LDG-167101-00011"}
    assert not {r for r in after["fact_guest_night"] if r[0] == "LDG-167101-00011"}
    assert len(after["fact_guest_night"] - before["fact_guest_night"]) > 0

    with warehouse_engine(get_settings()).begin() as conn:
        for name in (*PERSON_STAR, "guest_night"):
            conn.execute(sa.delete(sa.table(name)))
    reconcile(full=True)
    assert _star_rows() == after


def _permit_status(number: str) -> str:
    (row,) = rows("SELECT status FROM fact_permit WHERE permit_number = :n", n=number)
    return str(row["status"])


def test_permit_and_visa_facts_are_rebuilt_only_where_documents_changed(fixture_warehouse: str, landing: Path) -> None:
    """A lodging file marks its guests without saying their documents changed, and the star
    leaves their permit and visa facts alone; a permit or visa file says so, and that mark
    keeps saying it whichever file marks the person next, until a run takes it."""
    with warehouse_engine(get_settings()).begin() as conn:
        if conn.dialect.name == "postgresql":
            # With statistics, the three people of the run are few enough beside the stored
            # facts for the refresh to list their keys as an array (see the next test).
            conn.execute(sa.text("ANALYZE dim_person, fact_check_in, fact_permit, fact_visa"))
        # Stored facts the refresh would put right if it restaged them.
        conn.execute(
            sa.text("UPDATE fact_permit SET status = 'STALE' WHERE permit_number IN ('ITK-OK-01', 'ITK-JRN-01')")
        )
        conn.execute(sa.text("UPDATE fact_visa SET status = 'STALE' WHERE visa_number = 'VJRN0001'"))
    check_in = {
        passport: _guest(
            f"0009{i}", "16.71", surname, given, sex, dob, passport, "03/10/2024 14:00", "03/10/2024 15:00"
        )[1]
        for i, (passport, surname, given, sex, dob) in enumerate(
            [
                ("J00000001", "Brown", "Emma", "P", "04/03/1985"),
                ("O00000001", "Clark", "Ella", "P", "12/11/1987"),
                ("G00000001", "Smith", "John", "L", "03/02/1980"),
            ]
        )
    }
    extension = {
        passport: _permit(
            number,
            passport,
            surname,
            given,
            dob,
            sex,
            valid_until="2024-12-31",
            version=2,
            updated_at="2024-10-03T09:00:00+07:00",
        )
        for number, passport, surname, given, dob, sex in [
            ("ITK-OVER-01", "O00000001", "CLARK", "ELLA", "1987-11-12", "F"),
            ("ITK-OK-01", "G00000001", "SMITH", "JOHN", "1980-02-03", "M"),
        ]
    }
    # Brown only stays again; Clark's permit is extended, then she checks in (one batch:
    # the permit file merges first); Smith checks in, then his permit is extended.
    ingest_keys(
        land(
            landing,
            {
                f"stay_permit/{DAY}/KANIM-PLG_20241003_1500.csv": [PERMIT_COLUMNS, extension["O00000001"]],
                f"hotel_guest/{DAY}/LDG-167101_20241003T1500.csv": [
                    HOTEL_COLUMNS,
                    check_in["J00000001"],
                    check_in["O00000001"],
                    check_in["G00000001"],
                ],
            },
        )
    )
    ingest_keys(
        land(landing, {f"stay_permit/{DAY}/KANIM-PLG_20241003_1600.csv": [PERMIT_COLUMNS, extension["G00000001"]]})
    )
    marks = {
        r["person_key"]: r["documents_changed"]
        for r in rows("SELECT person_key, documents_changed FROM reconcile_dirty")
    }
    # (Linking keys fold O into 0.)
    assert marks == {"J00000001": 0, "000000001": 1, "G00000001": 1}

    reconcile()
    assert _permit_status("ITK-JRN-01") == "STALE"
    assert rows("SELECT status FROM fact_visa WHERE visa_number = 'VJRN0001'") == [{"status": "STALE"}]
    assert _permit_status("ITK-OK-01") == "ACTIVE"
    until = {
        r["permit_number"]: _day(r["day"])
        for r in rows(
            "SELECT p.permit_number, d.day FROM fact_permit AS p JOIN dim_date AS d ON d.date_key = p.valid_until_key "
            "WHERE p.permit_number IN ('ITK-OVER-01', 'ITK-OK-01')"
        )
    }
    assert until == {"ITK-OVER-01": "2024-12-31", "ITK-OK-01": "2024-12-31"}
    # Brown's check-in itself is in the star: only her documents' facts were left alone.
    assert rows("SELECT person_key FROM fact_check_in WHERE report_id = 'LDG-167101-00090'") == [
        {"person_key": "J00000001"}
    ]

    reconcile(full=True)
    assert _permit_status("ITK-JRN-01") == "ACTIVE"
    assert rows("SELECT status FROM fact_visa WHERE visa_number = 'VJRN0001'") == [{"status": "ISSUED"}]


def test_a_claim_left_by_a_failed_run_learns_that_documents_changed(fixture_warehouse: str) -> None:
    """A run that died left a claim saying documents did not change; a permit file marks the
    person again before the next run, which must rebuild the person's permit facts."""
    engine = warehouse_engine(get_settings())
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO reconcile_scope (person_key, run_id, reason, documents_changed) "
                "VALUES ('G00000001', 'dead-run', 'MARKED', 0), ('J00000001', 'dead-run', 'MARKED', 0)"
            )
        )
        # A permit file marks Smith again, a lodging file Brown.
        conn.execute(
            sa.text(
                "INSERT INTO reconcile_dirty (person_key, marked_by, documents_changed) "
                "VALUES ('G00000001', 'permits', 1), ('J00000001', 'lodging', 0)"
            )
        )
    with engine.begin() as conn:
        run_sql(conn, "reconcile/claim_dirty", {"run_id": "next-run"})
        claims = {
            r[0]: r[1] for r in conn.execute(sa.text("SELECT person_key, documents_changed FROM reconcile_scope"))
        }
    assert claims == {"G00000001": 1, "J00000001": 0}
    with engine.begin() as conn:
        run_sql(conn, "reconcile/scope_everyone", {"run_id": "next-run"})
        assert conn.execute(sa.text("SELECT MIN(documents_changed) FROM reconcile_scope")).scalar_one() == 1
        conn.execute(sa.text("DELETE FROM reconcile_scope"))


def test_the_refresh_lists_few_people_as_an_array_on_postgresql(fixture_warehouse: str) -> None:
    """On PostgreSQL the refresh names the people whose rows it replaces by an array of keys
    when they are at most a quarter of the stored rows (an index probe each), and by
    ``IN (SELECT ...)`` otherwise; both select the same rows."""
    engine = warehouse_engine(get_settings())
    scope = sa.table("reconcile_scope", sa.column("person_key"), sa.column("run_id"), sa.column("reason"))
    stored = sa.table("dim_person", sa.column("person_key"))
    with engine.begin() as conn:
        # As the refresh's own statements do: ANALYZE is the owner's, which this runs as.
        conn.execute(
            sa.text(
                "SELECT timpora_analyze('dim_person')" if engine.dialect.name == "postgresql" else "ANALYZE dim_person"
            )
        )
        everyone = [r[0] for r in conn.execute(sa.text("SELECT person_key FROM dim_person ORDER BY person_key"))]
        assert len(everyone) >= 8
        forms = {}
        for size in (1, len(everyone)):
            conn.execute(sa.delete(scope))
            conn.execute(
                sa.insert(scope), [{"person_key": key, "run_id": "r", "reason": "MARKED"} for key in everyone[:size]]
            )
            condition = person_key_in(conn, "dim_person", stored.c.person_key, sa.select(scope.c.person_key))
            forms[size] = str(condition.compile(conn))
            found = conn.execute(sa.select(stored.c.person_key).where(condition).order_by(stored.c.person_key))
            assert list(found.scalars()) == everyone[:size]
        conn.execute(sa.delete(scope))
    if engine.dialect.name == "postgresql":
        assert "ANY" in forms[1] and " IN " in forms[len(everyone)]
    else:
        assert all(" IN " in form for form in forms.values())


def test_the_people_refresh_reads_their_records_in_pages_and_builds_the_same_star(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read one source record per chunk (a person's records still kept in one page), the
    refresh of people builds the star that one page builds; a person's attributes come
    from the stay before the permit, and from the permit before the visa, whichever page
    the records fall in; and a nationality only a later page names joins the dimension."""
    day = fixture_day()
    # A permit holder who has not stayed anywhere, whose visa names another nationality.
    day[f"stay_permit/{DAY}/KANIM-PLG_20241003_0800.csv"].append(
        _permit("ITK-NOSTAY-01", "V00000001", "TAYLOR", "NOAH", "1986-05-06", "M", nationality="NZL")
    )
    day[f"visa/{DAY}/evisa_20241003_001.jsonl"].append(
        _visa("VNOSTAY01", "V00000001", "TAYLOR", "NOAH", "1986-05-06", "M", nationality="FJI")
    )
    ingest_keys(land(landing, day))
    reconcile()
    with warehouse_engine(get_settings()).begin() as conn:
        known = set(conn.execute(sa.text("SELECT nationality_code FROM dim_nationality")).scalars())
        assert not {"QZA", "QZB"} & known, "the test needs codes the dimension lacks"
        (guest,) = conn.execute(
            sa.text(
                "SELECT MIN(passport_key) FROM guest_stay WHERE passport_key IN (SELECT passport_key FROM stay_permit)"
            )
        ).scalars()
        (permit_holder,) = conn.execute(
            sa.text(
                "SELECT MIN(passport_key) FROM stay_permit "
                "WHERE passport_key IN (SELECT passport_key FROM visa) "
                "AND passport_key NOT IN (SELECT passport_key FROM guest_stay)"
            )
        ).scalars()
        assert guest is not None and permit_holder is not None
        # Later sources that disagree with the first: they must not be chosen, but their
        # nationalities must still join the dimension.
        conn.execute(sa.text("UPDATE stay_permit SET nationality = 'QZA' WHERE passport_key = :k"), {"k": guest})
        conn.execute(sa.text("UPDATE visa SET nationality = 'QZB' WHERE passport_key = :k"), {"k": permit_holder})
        stay_says = sa.text("SELECT MIN(nationality) FROM guest_stay WHERE passport_key = :k")
        permit_says = sa.text("SELECT MIN(nationality) FROM stay_permit WHERE passport_key = :k")
        expected = {
            guest: conn.execute(stay_says, {"k": guest}).scalar_one(),
            permit_holder: conn.execute(permit_says, {"k": permit_holder}).scalar_one(),
        }

    def rebuilt() -> dict[str, set[tuple[Any, ...]]]:
        with warehouse_engine(get_settings()).begin() as conn:
            for name in (*PERSON_STAR, "guest_night"):
                conn.execute(sa.delete(sa.table(name)))
        reconcile(full=True)
        return _star_rows()

    whole = rebuilt()
    refresh = star.refresh_people
    pages: list[int] = []

    def one_record_per_chunk(conn: Any, config: Any, page_rows: int = 100_000) -> None:
        pages.append(page_rows)
        refresh(conn, config, page_rows=1)

    monkeypatch.setattr(star, "refresh_people", one_record_per_chunk)
    assert rebuilt() == whole
    assert pages == [100_000]
    people = {r["person_key"]: r["nationality_code"] for r in rows("SELECT * FROM dim_person")}
    assert {key: people[key] for key in expected} == expected
    assert "QZA" not in people.values() and "QZB" not in people.values()
    assert {"QZA", "QZB"} <= {r["nationality_code"] for r in rows("SELECT nationality_code FROM dim_nationality")}
