"""Every rule on literal fixtures, positive and negative, on SQLite and PostgreSQL.

The fixture is one landing day written by hand in the FEEDS.md formats: a person per case,
each in order except for the one thing the case is about. The tests assert the exact set
of flags, so a missing positive and a flag on a look-alike both fail, then exercise the
flag lifecycle: re-running is a no-op, a late extension clears an OVERSTAY, a lodging's
cancellation does not clear a flag a reviewer holds.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from timpora.config import get_settings
from timpora.documents.mrz import build_td3
from timpora.flags.queries import list_flags
from timpora.ingest.pipeline import ingest_keys
from timpora.matching.identity import link_identities
from timpora.reconcile.engine import reconcile
from timpora.rules import base, catalogue, purpose_mismatch
from timpora.rules.config import load_rules_config
from timpora.rules.folders import folder_of
from timpora.warehouse.db import owner_engine, warehouse_engine

DAY = "2024/10/03"
HOTEL_COLUMNS = (
    "report_id;event;lodging_id;lodging_name;lodging_region_code;guest_surname;guest_given_names;sex;"
    "date_of_birth;nationality;passport_number;passport_expiry;check_in;check_out;room;occupation;"
    "purpose_of_visit;reported_at;mrz_line1;mrz_line2"
)
PERMIT_COLUMNS = (
    "permit_number,record_version,permit_type,status,visa_number,passport_number,nationality,surname,"
    "given_names,date_of_birth,sex,activity,sponsor_name,sponsor_type,region_code,address,valid_from,"
    "valid_until,office_code,updated_at"
)
LODGINGS = {"16.71": ("LDG-167101", "Hotel Sriwijaya Palembang"), "16.72": ("LDG-167201", "Hotel Gunung Gare")}


def _permit(
    number: str,
    passport: str,
    surname: str,
    given: str,
    dob: str,
    sex: str,
    *,
    nationality: str = "AUS",
    permit_type: str = "ITK",
    activity: str = "TOURISM",
    valid_from: str = "2024-09-01",
    valid_until: str = "2024-11-29",
    region: str = "16.71",
    status: str = "ACTIVE",
    version: int = 1,
    visa: str = "",
    sponsor: tuple[str, str] = ("", "NONE"),
    updated_at: str = "2024-09-01T10:00:00+07:00",
) -> str:
    return (
        f"{number},{version},{permit_type},{status},{visa},{passport},{nationality},{surname},{given},{dob},{sex},"
        f'{activity},{sponsor[0]},{sponsor[1]},{region},"Jl. Merdeka No. 1",{valid_from},{valid_until},KANIM-PLG,'
        f"{updated_at}"
    )


def _visa(number: str, passport: str, surname: str, given: str, dob: str, sex: str, **fields: Any) -> str:
    record = {
        "visa_number": number,
        "record_version": 1,
        "visa_index": "C1",
        "status": "ISSUED",
        "passport_number": passport,
        "passport_country": fields.get("nationality", "AUS"),
        "nationality": fields.get("nationality", "AUS"),
        "surname": surname,
        "given_names": given,
        "date_of_birth": dob,
        "sex": sex,
        "purpose": "TOURISM",
        "sponsor": None,
        "issued_at": "2024-08-20T10:00:00+07:00",
        "valid_until": "2024-11-20",
        "max_stay_days": 60,
    }
    record.update({k: v for k, v in fields.items() if k in record})
    return json.dumps(record)


def _guest(
    report: str,
    region: str,
    surname: str,
    given: str,
    sex: str,
    dob: str,
    passport: str,
    check_in: str,
    reported_at: str,
    *,
    event: str = "CHECK_IN",
    nationality: str = "AUSTRALIA",
    expiry: str = "01/01/2032",
    check_out: str = "",
    occupation: str = "tourist",
    purpose: str = "liburan",
    mrz: tuple[str, str] = ("", ""),
) -> tuple[str, str]:
    lodging_id, name = LODGINGS[region]
    row = (
        f"{lodging_id}-{report};{event};{lodging_id};{name};{region};{surname};{given};{sex};{dob};{nationality};"
        f"{passport};{expiry};{check_in};{check_out};101;{occupation};{purpose};{reported_at};{mrz[0]};{mrz[1]}"
    )
    return region, row


def _mrz_of(passport: str, surname: str, given: str, dob: date, sex: str, expiry: date) -> tuple[str, str]:
    return build_td3("AUS", surname, given, passport, "AUS", dob, sex, expiry)


def fixture_day() -> dict[str, list[str]]:
    """Permits, visas and guest rows of the fixture day, by feed (and lodging region)."""
    permits = [
        # in order (negatives), covered on every night of their stays
        _permit("ITK-OK-01", "G00000001", "SMITH", "JOHN", "1980-02-03", "M"),
        _permit("ITK-JRN-01", "J00000001", "BROWN", "EMMA", "1985-03-04", "F", activity="JOURNALISM", visa="VJRN0001"),
        _permit(
            "ITAS-NGO-01",
            "K00000001",
            "TAYLOR",
            "LIAM",
            "1979-04-05",
            "M",
            permit_type="ITAS",
            activity="WORK",
            visa="VNGO0001",
            sponsor=("Yayasan Hutan Kita", "NGO"),
            valid_from="2024-03-01",
            valid_until="2025-02-28",
        ),
        _permit("ITK-MUH-01", "M00000001", "HASSAN", "MUHAMMAD", "1990-03-07", "M", nationality="EGY"),
        _permit(
            "ITAS-HOME-01",
            "H00000001",
            "WILSON",
            "NOAH",
            "1970-06-07",
            "M",
            permit_type="ITAS",
            activity="WORK",
            region="16.03",
            valid_from="2024-01-01",
            valid_until="2025-06-30",
            sponsor=("PT Bukit Asam Tbk", "COMPANY"),
        ),
        _permit("ITK-B2B-01", "B00000001", "JONES", "OLIVIA", "1988-07-08", "F"),
        _permit("ITK-ONTIME-01", "T00000001", "WHITE", "AVA", "1992-08-09", "F"),
        _permit("ITK-SCAN-01", "S00000001", "GREEN", "LUCAS", "1983-09-10", "M"),
        _permit("ITK-EXT-01", "E00000001", "KING", "MIA", "1975-10-11", "F", valid_until="2024-09-30"),
        _permit("ITK-EXT-01", "E00000001", "KING", "MIA", "1975-10-11", "F", valid_until="2024-12-31", version=2),
        # OVERSTAY: ended 30 Sep; cancelled on 25 Sep
        _permit("ITK-OVER-01", "O00000001", "CLARK", "ELLA", "1987-11-12", "F", valid_until="2024-09-30"),
        _permit(
            "ITK-OVER-02",
            "O00000002",
            "LEWIS",
            "JACK",
            "1986-12-13",
            "M",
            valid_until="2024-12-31",
            status="CANCELLED",
            updated_at="2024-09-25T10:00:00+07:00",
        ),
        # IDENTITY_MISMATCH: someone else on the passport; same person data but another nationality
        _permit("ITK-IDN-01", "I00000001", "WANG", "FANG", "1990-01-01", "F", nationality="CHN"),
        _permit("ITK-IDN-02", "I00000002", "ZHANG", "WEI", "1991-02-02", "M", nationality="CHN"),
        # PURPOSE_MISMATCH: a tourist permit
        _permit("ITK-PUR-01", "P00000001", "ONEILL", "SARAH", "1988-02-14", "F", visa="VPUR0001"),
        # REGION_MISMATCH: work ITAS registered in Jakarta
        _permit(
            "ITAS-REG-01",
            "R00000001",
            "HALL",
            "OSCAR",
            "1978-01-15",
            "M",
            permit_type="ITAS",
            activity="WORK",
            region="31.74",
            valid_from="2024-01-01",
            valid_until="2025-06-30",
            sponsor=("PT Bukit Asam Tbk", "COMPANY"),
        ),
        _permit("ITK-CON-01", "C00000001", "YOUNG", "GRACE", "1989-02-16", "F"),
        _permit("ITK-LATE-01", "L00000001", "ALLEN", "HENRY", "1984-03-17", "M"),
        _permit("ITK-DOC-01", "D00000001", "SCOTT", "RUBY", "1991-04-18", "F"),
        _permit("ITK-DOC-02", "D00000002", "ADAMS", "LEO", "1993-05-19", "M"),
    ]
    visas = [
        _visa("VJRN0001", "J00000001", "BROWN", "EMMA", "1985-03-04", "F", visa_index="JRN", purpose="JOURNALISM"),
        _visa(
            "VNGO0001",
            "K00000001",
            "TAYLOR",
            "LIAM",
            "1979-04-05",
            "M",
            visa_index="E23",
            purpose="WORK",
            sponsor={"name": "Yayasan Hutan Kita", "type": "NGO"},
        ),
        _visa("VPUR0001", "P00000001", "ONEILL", "SARAH", "1988-02-14", "F"),
    ]
    valid_scan = _mrz_of("S00000001", "GREEN", "LUCAS", date(1983, 9, 10), "M", date(2031, 1, 1))
    bad_scan = _mrz_of("D00000001", "SCOTT", "RUBY", date(1991, 4, 18), "F", date(2031, 1, 1))
    bad_scan = (bad_scan[0], bad_scan[1][:9] + str((int(bad_scan[1][9]) + 1) % 10) + bad_scan[1][10:])
    guests = [
        # negatives
        _guest(
            "00001",
            "16.71",
            "Smith",
            "John",
            "L",
            "03/02/1980",
            "G00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            occupation="photographer hobbyist",
        ),
        _guest(
            "00002",
            "16.71",
            "Brown",
            "Emma",
            "P",
            "04/03/1985",
            "J00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            occupation="jurnalis",
            purpose="liputan pilkada",
        ),
        _guest(
            "00003",
            "16.71",
            "Taylor",
            "Liam",
            "L",
            "05/04/1979",
            "K00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            occupation="Staf LSM",
            purpose="pendampingan masyarakat adat",
        ),
        # transliteration, day/month swap in the birth date, O/0 confusion in the number
        _guest(
            "00004",
            "16.71",
            "Hassan",
            "Mohammed",
            "L",
            "03/07/1990",
            "MOOOOOOO1",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            nationality="EGY",
        ),
        _guest(
            "00005",
            "16.71",
            "Wilson",
            "Noah",
            "L",
            "07/06/1970",
            "H00000001",
            "23/08/2024 14:00",
            "03/10/2024 09:00",
            event="CHECK_OUT",
            check_out="03/10/2024 08:30",
        ),
        _guest(
            "00006",
            "16.71",
            "Jones",
            "Olivia",
            "P",
            "08/07/1988",
            "B00000001",
            "29/09/2024 14:00",
            "02/10/2024 08:30",
            event="CHECK_OUT",
            check_out="02/10/2024 08:00",
        ),
        _guest(
            "00002", "16.72", "Jones", "Olivia", "P", "08/07/1988", "B00000001", "02/10/2024 10:00", "02/10/2024 10:30"
        ),
        _guest(
            "00007", "16.71", "White", "Ava", "P", "09/08/1992", "T00000001", "01/10/2024 14:00", "02/10/2024 13:00"
        ),
        _guest(
            "00008",
            "16.71",
            "Green",
            "Lucas",
            "L",
            "10/09/1983",
            "S00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            mrz=valid_scan,
            expiry="01/01/2031",
        ),
        _guest(
            "00009", "16.71", "Stone", "Nora", "P", "10/10/1990", "X00000001", "02/10/2024 14:00", "02/10/2024 15:00"
        ),
        _guest(
            "00009",
            "16.71",
            "Stone",
            "Nora",
            "P",
            "10/10/1990",
            "X00000001",
            "02/10/2024 14:00",
            "02/10/2024 16:00",
            event="CANCEL",
        ),
        _guest(
            "00010",
            "16.71",
            "King",
            "Mia",
            "P",
            "11/10/1975",
            "E00000001",
            "27/09/2024 14:00",
            "03/10/2024 09:00",
            event="CHECK_OUT",
            check_out="03/10/2024 08:00",
        ),
        # positives
        _guest(
            "00011", "16.71", "Novak", "Petr", "L", "12/12/1982", "N00000001", "02/10/2024 20:00", "02/10/2024 21:00"
        ),
        _guest(
            "00012",
            "16.71",
            "Clark",
            "Ella",
            "P",
            "12/11/1987",
            "O00000001",
            "29/09/2024 14:00",
            "03/10/2024 09:00",
            event="CHECK_OUT",
            check_out="03/10/2024 08:00",
        ),
        _guest(
            "00013", "16.71", "Lewis", "Jack", "L", "13/12/1986", "O00000002", "02/10/2024 14:00", "02/10/2024 15:00"
        ),
        _guest(
            "00014",
            "16.71",
            "Liu",
            "Ming",
            "L",
            "05/05/1975",
            "I00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            nationality="CHN",
        ),
        _guest(
            "00015",
            "16.71",
            "Zhang",
            "Wei",
            "L",
            "02/02/1991",
            "I00000002",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            nationality="TAIWAN",
        ),
        _guest(
            "00016",
            "16.72",
            "O'Neill",
            "Sarah",
            "P",
            "14/02/1988",
            "P00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            occupation="Wartawan lepas",
            purpose="liputan pilkada",
        ),
        _guest(
            "00017",
            "16.71",
            "Hall",
            "Oscar",
            "L",
            "15/01/1978",
            "R00000001",
            "25/08/2024 14:00",
            "03/10/2024 09:00",
            event="CHECK_OUT",
            check_out="03/10/2024 08:30",
            occupation="engineer",
            purpose="bekerja",
        ),
        _guest(
            "00018", "16.71", "Young", "Grace", "P", "16/02/1989", "C00000001", "02/10/2024 13:00", "02/10/2024 14:00"
        ),
        _guest(
            "00003", "16.72", "Young", "Grace", "P", "16/02/1989", "C00000001", "02/10/2024 21:00", "02/10/2024 22:00"
        ),
        _guest(
            "00019", "16.71", "Allen", "Henry", "L", "17/03/1984", "L00000001", "01/10/2024 09:00", "02/10/2024 13:30"
        ),
        _guest(
            "00020",
            "16.71",
            "Scott",
            "Ruby",
            "P",
            "18/04/1991",
            "D00000001",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            mrz=bad_scan,
            expiry="01/01/2031",
        ),
        _guest(
            "00021",
            "16.71",
            "Adams",
            "Leo",
            "L",
            "19/05/1993",
            "D00000002",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            expiry="15/09/2024",
        ),
    ]
    files: dict[str, list[str]] = {
        f"stay_permit/{DAY}/KANIM-PLG_20241003_0800.csv": [PERMIT_COLUMNS, *permits],
        f"visa/{DAY}/evisa_20241003_001.jsonl": visas,
    }
    for region, (lodging_id, _) in LODGINGS.items():
        rows = [row for where, row in guests if where == region]
        files[f"hotel_guest/{DAY}/{lodging_id}_20241003T1200.csv"] = [HOTEL_COLUMNS, *rows]
    return files


EXPECTED = {
    ("NO_VALID_PERMIT", "N00000001"),
    ("OVERSTAY", "O00000001"),
    ("OVERSTAY", "O00000002"),
    ("IDENTITY_MISMATCH", "I00000001"),
    ("IDENTITY_MISMATCH", "I00000002"),
    ("PURPOSE_MISMATCH", "P00000001"),
    ("REGION_MISMATCH", "R00000001"),
    ("CONCURRENT_STAY", "C00000001"),
    ("LATE_REPORT", "L00000001"),
    ("DOCUMENT_INVALID", "D00000001"),
    ("DOCUMENT_INVALID", "D00000002"),
}


def land(landing: Path, files: dict[str, list[str]]) -> list[str]:
    for key, lines in files.items():
        path = landing / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted(files, key=lambda k: ("visa" not in k, "stay_permit" not in k, k))


def standing_flags() -> dict[tuple[str, str], Any]:
    frame = list_flags()
    return {(row.rule_code, row.passport_number): row for row in frame.itertuples() if row.status != "CLEARED"}


def flag_rows() -> list[tuple[Any, ...]]:
    with warehouse_engine(get_settings()).connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text("SELECT flag_id, status, evidence_hash, priority, updated_at FROM flag ORDER BY flag_id")
            )
        ]


def test_each_rule_raises_its_cases_and_nothing_on_look_alikes(warehouse: str, landing: Path) -> None:
    results = ingest_keys(land(landing, fixture_day()))
    assert all(r.rows_quarantined == 0 for r in results), [r.as_dict() for r in results]
    summary = reconcile()
    flags = standing_flags()
    assert set(flags) == EXPECTED

    # One cause, one flag: the mismatched guests raise no coverage rule although no permit covers them.
    assert summary.identity_mismatches == 2

    overstay = json.loads(flags[("OVERSTAY", "O00000001")].evidence)
    assert overstay["nights"] == {"first": "2024-10-01", "last": "2024-10-02", "count": 2}
    assert overstay["permit"]["valid_until"] == "2024-09-30"
    cancelled = flags[("OVERSTAY", "O00000002")]
    assert "dibatalkan" in cancelled.reason_id and "cancelled" in cancelled.reason_en

    impostor = json.loads(flags[("IDENTITY_MISMATCH", "I00000001")].evidence)
    assert set(impostor["disagreements"]) == {"name", "date_of_birth", "sex"}
    comparison = impostor["documents"]["comparisons"][0]
    assert comparison["name"]["verdict"] == "DIFFERENT" and comparison["nationality"]["verdict"] == "SAME"
    other_country = json.loads(flags[("IDENTITY_MISMATCH", "I00000002")].evidence)
    assert other_country["disagreements"] == ["nationality"]
    assert "kewarganegaraan" in flags[("IDENTITY_MISMATCH", "I00000002")].reason_id

    purpose = json.loads(flags[("PURPOSE_MISMATCH", "P00000001")].evidence)
    assert purpose["disagreements"] == ["JOURNALISM"]
    assert purpose["declared"]["matched_words"] == ["wartawan"]
    assert purpose["visa"]["catalogue_edition"] == "2024"
    assert purpose["assessment"]["JOURNALISM"]["visa_allows"] is False

    region = json.loads(flags[("REGION_MISMATCH", "R00000001")].evidence)
    assert region["nights"]["count"] == 39 and region["permit"]["province_code"] == "31"

    concurrent = flags[("CONCURRENT_STAY", "C00000001")]
    assert sorted(json.loads(concurrent.report_ids)) == ["LDG-167101-00018", "LDG-167201-00003"]
    assert json.loads(concurrent.evidence)["nights"]["count"] == 2

    late = json.loads(flags[("LATE_REPORT", "L00000001")].evidence)
    assert late["delay_hours"] == 28.5 and late["threshold_hours"] == 24
    assert "28,5 jam" in flags[("LATE_REPORT", "L00000001")].reason_id

    scan = json.loads(flags[("DOCUMENT_INVALID", "D00000001")].evidence)
    assert scan["findings"] == ["CHECK_PASSPORT_NUMBER", "CHECK_COMPOSITE"]
    assert scan["mrz"]["check_digits"]["date_of_birth"] is True
    expired = json.loads(flags[("DOCUMENT_INVALID", "D00000002")].evidence)
    assert expired["findings"] == ["PASSPORT_EXPIRED_BEFORE_STAY"]

    # Every flag reads in both languages, and the monitoring window (Pilkada 2024, province
    # 16) lifts the priority above the severity's own points.
    for flag in flags.values():
        assert flag.reason_id and flag.reason_en and flag.reason_id != flag.reason_en
        assert flag.priority > 150
    # Each rule folder's rule.yaml describes exactly the keys its flags' evidence carries.
    for flag in flags.values():
        documented = folder_of(flag.rule_code)
        assert documented is not None
        assert set(json.loads(flag.evidence)) == documented.evidence_keys, flag.rule_code

    # The linker saw through transliteration, a day/month swap and O/0 in the number.
    with warehouse_engine(get_settings()).connect() as conn:
        link = conn.execute(
            sa.text(
                "SELECT verdict, passport_match, date_of_birth_verdict, name_verdict FROM identity_link "
                "WHERE report_id = 'LDG-167101-00004'"
            )
        ).one()
    assert tuple(link) == ("LINKED", "CONFUSABLE", "NOISE", "NOISE")


def test_rules_described_one_row_at_a_time_raise_the_same_flags(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of a single SQL row: a stay's documents (IDENTITY_MISMATCH) and a run's stays
    # (REGION_MISMATCH) then span pages, and must still make one flag each, the same flag
    # the default pages make. Every page is written to the candidates as it is described.
    from timpora.config import environment_overrides

    day = fixture_day()
    # The impostor's passport also carries a visa: two documents, two rows of the stay.
    day[f"visa/{DAY}/evisa_20241003_001.jsonl"].append(
        _visa("VIDN0001", "I00000001", "WANG", "FANG", "1990-01-01", "F", nationality="CHN")
    )
    # The Jakarta-registered worker's run away from Jakarta began five nights earlier in
    # another lodging: two stays, two rows of the run.
    _, earlier = _guest(
        "00022",
        "16.72",
        "Hall",
        "Oscar",
        "L",
        "15/01/1978",
        "R00000001",
        "20/08/2024 14:00",
        "25/08/2024 09:00",
        event="CHECK_OUT",
        check_out="25/08/2024 08:00",
    )
    day[f"hotel_guest/{DAY}/LDG-167201_20241003T1200.csv"].append(earlier)
    ingest_keys(land(landing, day))
    written: list[int] = []
    described = base.candidates

    def counted(*args: Any) -> Any:
        page = described(*args)
        written.append(len(page))
        return page

    monkeypatch.setattr(base, "candidates", counted)
    with environment_overrides(rule_page_rows="1"):
        paged = reconcile()
    assert set(written) == {1} and len(written) == len(EXPECTED)
    flags = standing_flags()
    assert set(flags) == EXPECTED
    assert sum(paged.candidates.values()) == paged.raised == len(EXPECTED)
    impostor = json.loads(flags[("IDENTITY_MISMATCH", "I00000001")].evidence)
    assert len(impostor["documents"]["comparisons"]) == 2
    away = flags[("REGION_MISMATCH", "R00000001")]
    assert json.loads(away.report_ids) == ["LDG-167101-00017", "LDG-167201-00022"]
    assert json.loads(away.evidence)["nights"]["count"] == 44

    monkeypatch.undo()
    again = reconcile(full=True)
    assert (again.raised, again.updated, again.cleared, again.unchanged) == (0, 0, 0, len(EXPECTED))
    with warehouse_engine(get_settings()).connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM flag_candidate")).scalar_one() == 0


def test_a_page_keeps_the_rows_of_one_case_together_and_refuses_rows_out_of_order() -> None:
    import pandas as pd

    from timpora.warehouse.db import key_pages

    def chunk(*keys: str) -> pd.DataFrame:
        return pd.DataFrame({"report_id": list(keys), "row": range(len(keys))})

    chunks = [chunk("A", "B", "B"), chunk("B", "B"), chunk("B", "C"), chunk(), chunk("D")]
    pages = list(key_pages(chunks, "report_id", "rule REGION_MISMATCH"))
    assert [page["report_id"].tolist() for page in pages] == [["A"], ["B"] * 5, ["C"], ["D"]]
    # Without a key, chunks are pages as they come (the empty one left out).
    pages = list(key_pages(chunks, None, "rule OVERSTAY"))
    assert [len(page) for page in pages] == [3, 2, 2, 1]
    with pytest.raises(RuntimeError, match=r"REGION_MISMATCH: rows of one report_id are not together.*order its rows"):
        list(key_pages([chunk("A", "B", "A")], "report_id", "rule REGION_MISMATCH"))


def test_a_flags_evidence_is_its_own_whatever_else_the_run_found(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each rule's cases described as the run found them, and again beside a copy of every
    # case: a flag's evidence (and so its material hash, which decides whether a closed flag
    # reopens) must not depend on how many other cases the run had.
    import pandas as pd

    described_alone = base.candidates
    compared: dict[str, tuple[list[str], list[str]]] = {}

    def described_twice(
        code: Any, cases: pd.DataFrame, described: dict[str, Any], ctx: catalogue.RuleContext
    ) -> pd.DataFrame:
        frame = described_alone(code, cases, described, ctx)
        doubled = pd.concat([cases, cases], ignore_index=True)
        again = described_alone(code, doubled, catalogue.RULES[code].describe(doubled, ctx), ctx)
        compared[code.value] = (frame["evidence"].tolist(), again["evidence"].tolist()[: len(frame)])
        return frame

    monkeypatch.setattr(base, "candidates", described_twice)
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    assert set(compared) == {rule for rule, _ in EXPECTED}
    for rule, (alone, beside_copies) in compared.items():
        assert alone == beside_copies, rule
    for flag in standing_flags().values():
        disagreements = json.loads(flag.evidence)["disagreements"]
        assert disagreements and all(isinstance(item, str) for item in disagreements), (flag.rule_code, disagreements)


def test_migration_0012_gives_stored_flags_their_own_disagreements_and_a_closed_flag_stays_closed(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from timpora.flags import repair
    from timpora.rules.text import content_hash
    from timpora.warehouse.migrate import migrate

    ingest_keys(land(landing, fixture_day()))
    reconcile()
    engine = owner_engine(get_settings())  # migrations are the owner's
    read = sa.text("SELECT flag_id, rule_code, evidence, evidence_hash, material_hash, updated_at FROM flag")
    with engine.connect() as conn:
        as_the_rules_write = {row.flag_id: tuple(row) for row in conn.execute(read)}

    # The flags as the release before 0012 stored them, from a run that had three cases.
    def as_stored_before(evidence: str) -> dict[str, str]:
        document = json.loads(evidence)
        document["disagreements"] = [document["disagreements"]] * 3
        text = json.dumps(document, ensure_ascii=False, sort_keys=True)
        material = json.dumps({k: v for k, v in document.items() if k != "nights"}, ensure_ascii=False, sort_keys=True)
        (text_hash, material_hash) = content_hash([text, material])
        return {"evidence": text, "evidence_hash": text_hash, "material_hash": material_hash}

    run_wide = {"REGION_MISMATCH", "CONCURRENT_STAY", "LATE_REPORT"}
    broken = [
        {"flag_id": flag_id, **as_stored_before(evidence)}
        for flag_id, rule_code, evidence, *_ in as_the_rules_write.values()
        if rule_code in run_wide
    ]
    assert len(broken) == 3
    closed = next(row["flag_id"] for row in broken if as_the_rules_write[row["flag_id"]][1] == "LATE_REPORT")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE flag SET evidence = :evidence, evidence_hash = :evidence_hash, "
                "material_hash = :material_hash WHERE flag_id = :flag_id"
            ),
            broken,
        )
        conn.execute(
            sa.text("UPDATE flag SET status = 'CLOSED', disposition = 'FALSE_POSITIVE' WHERE flag_id = :f"),
            {"f": closed},
        )
        conn.execute(sa.text("DELETE FROM schema_migration WHERE version = 12"))

    monkeypatch.setattr(repair, "PAGE_ROWS", 1)  # a page per flag: the paging is part of it
    assert migrate(engine) == [12]
    with engine.connect() as conn:
        assert {row.flag_id: tuple(row) for row in conn.execute(read)} == as_the_rules_write

    # The next run finds nothing changed: the closed flag is not reopened by the repair.
    again = reconcile(full=True)
    assert (again.raised, again.updated, again.cleared) == (0, 0, 0)
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM flag WHERE flag_id = :f"), {"f": closed}).scalar_one()
    assert status == "CLOSED"


def test_rerun_is_a_no_op_and_a_late_extension_clears_the_overstay(warehouse: str, landing: Path) -> None:
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    before = flag_rows()
    again = reconcile(full=True)
    assert (again.raised, again.updated, again.cleared) == (0, 0, 0)
    assert flag_rows() == before

    # A reviewer holds the NO_VALID_PERMIT flag; the lodging then cancels that stay.
    flags = standing_flags()
    held = flags[("NO_VALID_PERMIT", "N00000001")].flag_id
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(
            sa.text("UPDATE flag SET status = 'IN_REVIEW', assignee = 'petugas1' WHERE flag_id = :f"), {"f": held}
        )

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
    late_files = {
        f"stay_permit/{DAY}/KANIM-PLG_20241003_1500.csv": [PERMIT_COLUMNS, extension],
        f"hotel_guest/{DAY}/LDG-167101_20241003T1500.csv": [HOTEL_COLUMNS, cancel],
    }
    ingest_keys(land(landing, late_files))
    summary = reconcile()
    assert summary.cleared == 1

    with warehouse_engine(get_settings()).connect() as conn:
        statuses: dict[str, str] = dict(
            conn.execute(sa.text("SELECT rule_code || ':' || passport_number, status FROM flag")).all()
        )
        note = conn.execute(
            sa.text("SELECT clear_note FROM flag WHERE rule_code = 'OVERSTAY' AND passport_number = 'O00000001'")
        ).scalar_one()
        events = (
            conn.execute(
                sa.text(
                    "SELECT kind FROM flag_event WHERE flag_id = (SELECT flag_id FROM flag "
                    "WHERE rule_code = 'OVERSTAY' AND passport_number = 'O00000001') ORDER BY at"
                )
            )
            .scalars()
            .all()
        )
    assert statuses["OVERSTAY:O00000001"] == "CLEARED"
    assert "perpanjangan izin" in note and "permit extension" in note
    assert events == ["RAISED", "CLEARED"]
    # The reviewer's claim stands: the cancellation does not clear a flag someone holds.
    assert statuses["NO_VALID_PERMIT:N00000001"] == "IN_REVIEW"
    assert statuses["OVERSTAY:O00000002"] == "OPEN"


def test_purpose_mismatch_reads_only_stays_that_can_disagree_and_flags_as_reading_all_would(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beside the fixture's guest who declares journalism: a guest who declares nothing, on a
    # tourist permit sponsored by a newspaper (a MEDIA sponsor implies journalism).
    files = fixture_day()
    files[f"stay_permit/{DAY}/KANIM-PLG_20241003_0800.csv"].append(
        _permit("ITK-MED-01", "W00000001", "KING", "ZOE", "1990-06-20", "F", sponsor=("Harian Pagi", "MEDIA"))
    )
    files[f"hotel_guest/{DAY}/LDG-167101_20241003T1200.csv"].append(
        _guest("00090", "16.71", "King", "Zoe", "P", "20/06/1990", "W00000001", "02/10/2024 14:00", "02/10/2024 15:00")[
            1
        ]
    )
    ingest_keys(land(landing, files))
    reconcile()
    flags = standing_flags()
    assert {key for key in flags if key[0] == "PURPOSE_MISMATCH"} == {
        ("PURPOSE_MISMATCH", "P00000001"),
        ("PURPOSE_MISMATCH", "W00000001"),
    }
    sponsored = json.loads(flags[("PURPOSE_MISMATCH", "W00000001")].evidence)
    assert sponsored["disagreements"] == ["JOURNALISM"]
    assert sponsored["declared"]["matched_words"] == []
    # The reason says where journalism came from: the sponsor, not the guest's own words.
    reason_id, reason_en = (
        flags[("PURPOSE_MISMATCH", "W00000001")].reason_id,
        flags[("PURPOSE_MISMATCH", "W00000001")].reason_en,
    )
    assert "menyatakan" not in reason_id and "declares" not in reason_en
    assert "penjamin bertipe MEDIA (Harian Pagi)" in reason_id and "jurnalistik" in reason_id
    assert "a MEDIA sponsor (Harian Pagi)" in reason_en and "journalism" in reason_en
    declared = flags[("PURPOSE_MISMATCH", "P00000001")]
    assert "menyatakan 'Wartawan lepas' / 'liputan pilkada' (jurnalistik)" in declared.reason_id
    assert "penjamin" not in declared.reason_id and "sponsor" not in declared.reason_en

    # Reading every stay, as when more texts declare an activity than the query lists,
    # changes no flag.
    before = flag_rows()
    monkeypatch.setattr(purpose_mismatch, "PURPOSE_TEXTS_LISTED_AT_MOST", 0)
    again = reconcile(full=True)
    assert (again.raised, again.updated, again.cleared) == (0, 0, 0)
    assert flag_rows() == before


def test_links_store_a_comparison_only_where_a_field_is_not_the_same(warehouse: str, landing: Path) -> None:
    """An exact link is told by its verdict columns (comparison NULL); the others keep theirs."""
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    with warehouse_engine(get_settings()).connect() as conn:
        links = conn.execute(
            sa.text(
                "SELECT verdict, passport_match, name_verdict, date_of_birth_verdict, sex_verdict, "
                "nationality_verdict, comparison FROM identity_link"
            )
        ).all()
    exact = [link for link in links if link[0] == "LINKED" and link[1] == "EXACT" and set(link[2:6]) == {"SAME"}]
    told = [link for link in links if link not in exact]
    assert exact and all(link.comparison is None for link in exact)
    assert {link.verdict for link in told} == {"LINKED", "MISMATCH"}  # noisy links and impostors
    for link in told:
        fields = json.loads(link.comparison)
        assert fields["name.verdict"] == link.name_verdict and fields["sex.verdict"] == link.sex_verdict


def test_linking_in_small_chunks_writes_the_same_links(warehouse: str, landing: Path) -> None:
    """Pairs stream in chunks; chunk boundaries change nothing in what is stored."""
    ingest_keys(land(landing, fixture_day()))
    reconcile()
    query = sa.text("SELECT * FROM identity_link ORDER BY report_id, document_kind, document_number")
    engine = warehouse_engine(get_settings())
    with engine.connect() as conn:
        whole = [tuple(r) for r in conn.execute(query)]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM reconcile_scope"))
        conn.execute(
            sa.text(
                "INSERT INTO reconcile_scope (person_key, run_id, reason) "
                "SELECT DISTINCT passport_key, 't', 'EVERYONE' FROM guest_stay"
            )
        )
        counts = link_identities(conn, load_rules_config(get_settings().rules_config).linking, chunk_rows=2)
        chunked = [tuple(r) for r in conn.execute(query)]
    assert counts.links == len(whole) > 2
    assert counts.mismatches == sum(1 for r in whole if "MISMATCH" in r)
    assert chunked == whole


def test_reconcile_does_not_wait_for_marks_an_ingest_is_writing(warehouse: str, landing: Path) -> None:
    """An ingest renewing a dirty mark holds its row until it commits; reconcile must not wait
    for it (PostgreSQL deadlocked when that ingest in turn waited for a mark reconcile had
    claimed). The mark in flight stays for the next run, which the ingest's event starts."""
    import threading

    ingest_keys(land(landing, fixture_day()))
    reconcile()
    engine = warehouse_engine(get_settings())
    with engine.begin() as conn:
        people = [row[0] for row in conn.execute(sa.text("SELECT DISTINCT passport_key FROM guest_stay LIMIT 2"))]
        for person in people:
            conn.execute(sa.text("INSERT INTO reconcile_dirty (person_key) VALUES (:p)"), {"p": person})
    in_flight = people[1]
    finished: list[Any] = []
    ingest = engine.connect()
    try:
        if warehouse == "postgresql":
            # What an ingest's merge does to a mark that exists: ON CONFLICT ... SET marked_by = ...
            ingest.execute(
                sa.text("UPDATE reconcile_dirty SET marked_by = 'in-flight' WHERE person_key = :p"), {"p": in_flight}
            )
        run = threading.Thread(target=lambda: finished.append(reconcile()))
        run.start()
        run.join(60)
        assert finished, "reconcile waited for an ingest's uncommitted mark"
    finally:
        ingest.rollback()
        ingest.close()
    with engine.connect() as conn:
        left = {row[0] for row in conn.execute(sa.text("SELECT person_key FROM reconcile_dirty"))}
    # SQLite has no row locks (a writer holds the whole file): there, both marks are taken.
    assert left == ({in_flight} if warehouse == "postgresql" else set())
    assert finished[0].scope_size >= 1
    reconcile()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one() == 0


def test_the_claim_moves_every_mark_and_on_postgresql_plans_with_their_statistics(
    warehouse: str, landing: Path
) -> None:
    """The claim moves the marks the ingests have just written into the run's scope. On
    PostgreSQL it analyzes them first: with the statistics of the empty table the last run
    left, a national day's 200,000 marks were planned as 200 and deleted one index probe
    at a time."""
    from timpora.warehouse.db import run_sql, transaction

    ingest_keys(land(landing, fixture_day()))
    engine = warehouse_engine(get_settings())
    with engine.connect() as conn:
        marked = {row[0] for row in conn.execute(sa.text("SELECT person_key FROM reconcile_dirty"))}
    assert marked
    with transaction(engine) as conn:
        run_sql(conn, "reconcile/claim_dirty", {"run_id": "claim-test"})
    with engine.connect() as conn:
        claimed = conn.execute(sa.text("SELECT person_key FROM reconcile_scope WHERE run_id = 'claim-test'"))
        assert {row[0] for row in claimed} == marked
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one() == 0
        if warehouse == "postgresql":
            # What ANALYZE saw before the marks moved (-1 for a table never analyzed).
            planned = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE oid = 'reconcile_dirty'::regclass")
            ).scalar_one()
            assert planned == len(marked)


@pytest.mark.parametrize("failing_step", ["refresh_people", "refresh_guest_nights", "late_report_rule"])
def test_a_run_that_fails_in_any_step_keeps_its_claims_and_the_next_run_completes_it(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch, failing_step: str
) -> None:
    """On PostgreSQL the steps run on two connections and commit one by one (on SQLite, in
    one transaction): a failure in a side step must roll the flags back, keep every claim,
    and leave nothing the next run cannot complete to the same flags and star."""
    from timpora.warehouse import star

    ingest_keys(land(landing, fixture_day()))
    engine = warehouse_engine(get_settings())
    with engine.connect() as conn:
        marked = {row[0] for row in conn.execute(sa.text("SELECT person_key FROM reconcile_dirty"))}
    assert marked

    def broken(conn: Any, config: Any) -> None:
        raise RuntimeError(f"{failing_step} failed")

    if failing_step == "late_report_rule":
        # A rule that reads no identity link: on PostgreSQL the side connection judges it.
        import dataclasses

        from timpora.rules.catalogue import RULES
        from timpora.rules.config import RuleCode

        def broken_parameters(ctx: Any) -> dict[str, Any]:
            raise RuntimeError(f"{failing_step} failed")

        rule = dataclasses.replace(RULES[RuleCode.LATE_REPORT], parameters=broken_parameters)
        monkeypatch.setitem(RULES, RuleCode.LATE_REPORT, rule)
    else:
        monkeypatch.setattr(star, failing_step, broken)
    with pytest.raises(RuntimeError, match=f"{failing_step} failed"):
        reconcile()
    with engine.connect() as conn:
        # The claim moved the marks into the scope; the failed run left them there.
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one() == 0
        claimed = conn.execute(sa.text("SELECT person_key FROM reconcile_scope WHERE reason = 'MARKED'"))
        assert {row[0] for row in claimed} == marked
        assert conn.execute(sa.text("SELECT COUNT(*) FROM flag")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_state")).scalar_one() == 0

    monkeypatch.undo()
    completed = reconcile()
    assert completed.scope_size == len(marked)
    assert completed.raised > 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_scope")).scalar_one() == 0
        nights = conn.execute(sa.text("SELECT COUNT(*) FROM guest_night")).scalar_one()
        assert conn.execute(sa.text("SELECT COUNT(*) FROM fact_guest_night")).scalar_one() == nights
        people = conn.execute(sa.text("SELECT COUNT(DISTINCT passport_key) FROM guest_stay")).scalar_one()
        assert conn.execute(sa.text("SELECT COUNT(*) FROM dim_person")).scalar_one() >= people
    # The same flags as a run that never failed: a full rerun changes nothing.
    again = reconcile(full=True)
    assert (again.raised, again.updated, again.cleared) == (0, 0, 0)


def test_a_mark_written_during_a_run_stays_for_the_next_run(
    warehouse: str, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run releases its claims by emptying its scope: a mark a merge writes while the
    run works (for a person the run already took) is a new mark, and the next run takes it."""
    from timpora.warehouse import star

    ingest_keys(land(landing, fixture_day()))
    engine = warehouse_engine(get_settings())
    with engine.connect() as conn:
        marked = {row[0] for row in conn.execute(sa.text("SELECT person_key FROM reconcile_dirty"))}
    person = min(marked)
    refresh = star.refresh_people

    def refresh_then_mark(conn: Any, config: Any) -> None:
        refresh(conn, config)
        # What a merge landing mid-run writes (on PostgreSQL this step's connection commits
        # on its own, before the flags' transaction releases the claims).
        conn.execute(
            sa.text(
                "INSERT INTO reconcile_dirty (person_key, marked_by) VALUES (:p, 'mid-run') "
                "ON CONFLICT (person_key) DO UPDATE SET marked_by = excluded.marked_by"
            ),
            {"p": person},
        )

    monkeypatch.setattr(star, "refresh_people", refresh_then_mark)
    first = reconcile()
    assert first.scope_size == len(marked)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT person_key, marked_by FROM reconcile_dirty")).all() == [(person, "mid-run")]
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_scope")).scalar_one() == 0
    monkeypatch.undo()
    assert reconcile().scope_size == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_dirty")).scalar_one() == 0


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_the_rules_judged_beside_linking_are_those_whose_sql_reads_no_identity_link(dialect: str) -> None:
    """On PostgreSQL the side connection judges the rules that do not read identity links
    while the main one links; the split is read off each rule's statements."""
    from timpora.rules.catalogue import RULES
    from timpora.rules.config import RuleCode

    beside = {code for code, rule in RULES.items() if not rule.reads_identity_links(dialect)}
    assert beside == {RuleCode.CONCURRENT_STAY, RuleCode.LATE_REPORT, RuleCode.DOCUMENT_INVALID}


def test_an_mrz_whose_check_digits_hold_but_whose_form_is_wrong_is_invalid(warehouse: str, landing: Path) -> None:
    """A scanned MRZ issued by 'AUQ' (no state) with all five check digits right (line 1
    has none): the strict reading names the field; the fixture's valid scan stays clean."""
    line1, line2 = _mrz_of("S00000009", "GREY", "NORA", date(1987, 5, 6), "F", date(2031, 1, 1))
    wrong_state = (line1[:2] + "AUQ" + line1[5:], line2)
    files = fixture_day()
    files[f"stay_permit/{DAY}/KANIM-PLG_20241003_0800.csv"].append(
        _permit("ITK-SX-01", "S00000009", "GREY", "NORA", "1987-05-06", "F")
    )
    files[f"hotel_guest/{DAY}/LDG-167101_20241003T1200.csv"].append(
        _guest(
            "00091",
            "16.71",
            "Grey",
            "Nora",
            "P",
            "06/05/1987",
            "S00000009",
            "02/10/2024 14:00",
            "02/10/2024 15:00",
            mrz=wrong_state,
            expiry="01/01/2031",
        )[1]
    )
    ingest_keys(land(landing, files))
    reconcile()
    flags = standing_flags()
    evidence = json.loads(flags[("DOCUMENT_INVALID", "S00000009")].evidence)
    assert evidence["findings"] == ["MRZ_ISSUING_STATE_UNKNOWN"]
    assert all(evidence["mrz"]["check_digits"][name] is not False for name in evidence["mrz"]["check_digits"])
    assert "negara penerbit MRZ bukan kode ICAO" in flags[("DOCUMENT_INVALID", "S00000009")].reason_id
    assert ("DOCUMENT_INVALID", "S00000001") not in flags  # the valid scan of the fixture
