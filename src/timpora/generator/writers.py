"""Writing a scenario as landed files, exactly in the FEEDS.md formats, plus its ground truth."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS, STAY_PERMIT_COLUMNS, VISA_FIELDS
from timpora.generator import people as pp
from timpora.generator.scenario import Scenario, Stay


def _dmy(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _dmy_hm(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def _prefix(feed: str, day: date) -> str:
    return f"{feed}/{day:%Y/%m/%d}"


def hotel_rows(stay: Stay, rng: random.Random) -> list[dict[str, str]]:
    """The stay's events as the lodging system exports them (typed state at each event)."""
    state = dict(stay.typed)
    state["room"] = str(rng.randint(101, 520))
    rows = []
    checked_out = False
    for event in sorted(stay.events, key=lambda e: e.reported_at):
        state.update(event.changes)
        checked_out = checked_out or event.kind == "CHECK_OUT"
        mrz1, mrz2 = stay.mrz if stay.mrz else ("", "")
        rows.append(
            {
                "report_id": stay.report_id,
                "event": event.kind,
                "lodging_id": stay.lodging.lodging_id,
                "lodging_name": stay.lodging.name,
                "lodging_region_code": stay.lodging.region_code,
                "guest_surname": state["guest_surname"],
                "guest_given_names": state["guest_given_names"],
                "sex": state["sex"],
                "date_of_birth": _dmy(state["date_of_birth"]),
                "nationality": state["nationality"],
                "passport_number": state["passport_number"],
                "passport_expiry": _dmy(state["passport_expiry"]),
                "check_in": _dmy_hm(stay.check_in),
                "check_out": _dmy_hm(stay.check_out) if checked_out else "",
                "room": state["room"],
                "occupation": stay.occupation,
                "purpose_of_visit": stay.purpose,
                "reported_at": _dmy_hm(event.reported_at),
                "mrz_line1": mrz1,
                "mrz_line2": mrz2,
            }
        )
        rows[-1].update(stay.raw_overrides)
    return rows


def _messy(value: str, rng: random.Random) -> str:
    """Stray spaces, as hand-fed hotel systems leave them."""
    if value and rng.random() < 0.04:
        return rng.choice([" ", "  "]) + value if rng.random() < 0.5 else value + " "
    return value


def write_scenario(scenario: Scenario, landing_dir: Path, seed: int) -> list[str]:
    """Write every file of the scenario under ``landing_dir``; returns the landing keys."""
    rng = random.Random(seed * 7919 + 1)
    day = scenario.day
    keys: list[str] = []

    by_lodging: dict[str, list[dict[str, str]]] = defaultdict(list)
    lodgings = {lodging.lodging_id: lodging for lodging in scenario.lodgings}
    for stay in scenario.stays:
        by_lodging[stay.lodging.lodging_id].extend(hotel_rows(stay, rng))
    for lodging_id, rows in sorted(by_lodging.items()):
        lodging = lodgings[lodging_id]
        rows.sort(key=lambda r: datetime.strptime(r["reported_at"], "%d/%m/%Y %H:%M"))
        # Exports are not always in order: now and then two neighbouring rows swap.
        for i in range(len(rows) - 1):
            if rng.random() < 0.03:
                rows[i], rows[i + 1] = rows[i + 1], rows[i]
        buffer = io.StringIO()
        buffer.write(";".join(HOTEL_GUEST_COLUMNS) + lodging.newline)
        for row in rows:
            values = []
            for column in HOTEL_GUEST_COLUMNS:
                value = row[column]
                if lodging.encoding == "cp1252" and not pp.fits_cp1252(value):
                    # What a Windows-1252 lodging system can store: letters without marks
                    # (capital sharp s has no 1252 code and no decomposition: SS).
                    value = pp.strip_diacritics(value.replace("ẞ", "SS"))
                if column not in ("report_id", "event", "mrz_line1", "mrz_line2"):
                    value = _messy(value, rng)
                values.append(value)
            buffer.write(";".join(values) + lodging.newline)
        key = f"{_prefix('hotel_guest', day)}/{lodging_id}_{day:%Y%m%d}T1200.csv"
        path = landing_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue().encode(lodging.encoding))
        keys.append(key)

    by_office: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for permit in scenario.permits:
        by_office[permit["office_code"]].append(permit)
    for office, permits in sorted(by_office.items()):
        rng.shuffle(permits)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(STAY_PERMIT_COLUMNS)
        for permit in permits:
            writer.writerow([permit[column] for column in STAY_PERMIT_COLUMNS])
        key = f"{_prefix('stay_permit', day)}/{office}_{day:%Y%m%d}_0800.csv"
        path = landing_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        keys.append(key)

    visas = list(scenario.visas)
    rng.shuffle(visas)
    half = len(visas) // 2
    for number, part, compressed in ((1, visas[:half], False), (2, visas[half:], True)):
        if not part:
            continue
        body = "".join(json.dumps({f: v[f] for f in VISA_FIELDS}, ensure_ascii=False) + "\n" for v in part)
        name = f"evisa_{day:%Y%m%d}_{number:03d}.jsonl" + (".gz" if compressed else "")
        key = f"{_prefix('visa', day)}/{name}"
        path = landing_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        data = body.encode("utf-8")
        path.write_bytes(gzip.compress(data, mtime=0) if compressed else data)
        keys.append(key)
    return sorted(keys)


def ground_truth(scenario: Scenario, keys: list[str], parameters: dict[str, Any]) -> dict[str, Any]:
    """Every planted case and look-alike, and which documents belong to the person of each stay."""
    documents: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"permit_numbers": [], "visa_numbers": []})
    for permit in scenario.permits:
        entry = documents[permit["_person_id"]]["permit_numbers"]
        if permit["permit_number"] not in entry:
            entry.append(permit["permit_number"])
    for visa in scenario.visas:
        entry = documents[visa["_person_id"]]["visa_numbers"]
        if visa["visa_number"] not in entry:
            entry.append(visa["visa_number"])
    stays = {}
    for stay in scenario.stays:
        person_documents = documents.get(stay.person.person_id, {"permit_numbers": [], "visa_numbers": []})
        stays[stay.report_id] = {
            "person_id": stay.person.person_id,
            "passport_number": stay.person.passport_number,
            "nationality": stay.person.nationality,
            "noise": stay.noise,
            "scanned_mrz": stay.mrz is not None,
            "permit_numbers": sorted(person_documents["permit_numbers"]),
            "visa_numbers": sorted(person_documents["visa_numbers"]),
        }
    counts: dict[str, int] = defaultdict(int)
    for stay in scenario.stays:
        for kind in stay.noise:
            counts[kind] += 1
    return {
        "generator": {"format": 1, **parameters},
        "as_of_date": scenario.day.isoformat(),
        "files": keys,
        "planted": scenario.planted,
        "negatives": scenario.negatives,
        "quarantine_cases": scenario.quarantine_cases,
        "stays": stays,
        "noise_counts": dict(sorted(counts.items())),
        "totals": {
            "stays": len(scenario.stays),
            "permits": len(scenario.permits),
            "visas": len(scenario.visas),
            "hotel_events": sum(len(s.events) for s in scenario.stays),
        },
    }
