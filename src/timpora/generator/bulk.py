"""Bulk demo data for benchmarks: millions of rows in the FEEDS.md formats, vectorised.

The day generator (:mod:`timpora.generator.scenario`) builds a few hundred carefully
planted stays; benchmarks need millions of plausible rows fast. Everything here is built
column-wise with numpy: a population of people, their visas and permits, and lodging
events, consistent with each other (a guest's passport, names and birth date match their
documents), with a small share of contract-breaking rows so quarantine has work too.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from timpora.documents.mrz import transliterate
from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS, STAY_PERMIT_COLUMNS
from timpora.generator import people as pp

_EPOCH = np.datetime64("1970-01-01")


@dataclass
class Population:
    """People as columns (one row per person)."""

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)


def population(size: int, seed: int, as_of: date) -> Population:
    """``size`` people with unique passports, names from their nationality's pools."""
    rng = np.random.default_rng(seed)
    codes = np.array([code for code, _, _ in pp.NATIONALITIES])
    documents = np.array([doc for _, doc, _ in pp.NATIONALITIES])
    weights = np.array([w for _, _, w in pp.NATIONALITIES], dtype=float)
    pick = rng.choice(len(codes), size=size, p=weights / weights.sum())
    sex = np.where(rng.random(size) < 0.5, "M", "F")
    surnames = np.empty(size, dtype=object)
    given = np.empty(size, dtype=object)
    for index, code in enumerate(codes):
        members = np.flatnonzero(pick == index)
        if not len(members):
            continue
        pool_surnames = sorted(
            {pp.make_person("x", _py_random(seed + index + i), as_of, code).surname for i in range(40)}
        )
        surnames[members] = rng.choice(pool_surnames, size=len(members))
        for sex_code in ("M", "F"):
            chosen = members[sex[members] == sex_code]
            if len(chosen):
                given[chosen] = rng.choice(pp.given_names_for(code, sex_code), size=len(chosen))
    # Unique passport numbers: a letter prefix per nationality and distinct 8-digit numbers.
    numbers = rng.choice(90_000_000, size=size, replace=False) + 10_000_000
    prefixes = np.array(
        ["E", "A", "K", "P", "T", "M", "Z", "D", "G", "C", "N", "F", "R", "B", "H", "S", "V", "W", "J", "U", "Y"]
    )[pick % 21]
    passports = pd.Series(prefixes).str.cat(pd.Series(numbers.astype(str)))
    age_days = rng.integers(20 * 365, 72 * 365, size)
    birth = np.datetime64(as_of) - age_days.astype("timedelta64[D]")
    expiry = np.datetime64(as_of) + rng.integers(200, 9 * 365, size).astype("timedelta64[D]")
    return Population(
        pd.DataFrame(
            {
                "nationality": codes[pick],
                "document_code": documents[pick],
                "surname": surnames,
                "given_names": given,
                "sex": sex,
                "date_of_birth": birth,
                "passport_number": passports.to_numpy(),
                "passport_expiry": expiry,
            }
        )
    )


def _py_random(seed: int):  # type: ignore[no-untyped-def]
    import random

    return random.Random(seed)


def _mrz_names(values: pd.Series) -> pd.Series:
    distinct = {value: transliterate(value).replace("<", " ") for value in values.dropna().unique()}
    return values.map(distinct)


def _iso(days: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(days)).dt.strftime("%Y-%m-%d")


def write_permits(
    path: Path,
    people: pd.DataFrame,
    office: str,
    as_of: date,
    seed: int,
    bad_share: float = 0.002,
    region_codes: tuple[str, ...] = ("16.71", "16.72", "16.03", "16.04"),
) -> int:
    """One office's permit CSV for ``people`` (one current ITK/ITAS per person)."""
    rng = np.random.default_rng(seed)
    n = len(people)
    kind = rng.choice(["ITK", "ITAS", "ITAP"], size=n, p=[0.6, 0.35, 0.05])
    start = np.datetime64(as_of) - rng.integers(1, 300, n).astype("timedelta64[D]")
    length = np.where(kind == "ITK", 59, np.where(kind == "ITAS", 364, 1824))
    end = np.maximum(start + length.astype("timedelta64[D]"), np.datetime64(as_of) + np.timedelta64(5, "D"))
    activity = np.where(kind == "ITK", rng.choice(["TOURISM", "BUSINESS", "FAMILY"], n), "WORK")
    frame = pd.DataFrame(
        {
            "permit_number": pd.Series(kind).str.cat(pd.Series(np.arange(n) + seed * 10_000_000).astype(str), sep="-"),
            "record_version": "1",
            "permit_type": kind,
            "status": "ACTIVE",
            "visa_number": "",
            "passport_number": people["passport_number"].to_numpy(),
            "nationality": people["document_code"].to_numpy(),
            "surname": _mrz_names(people["surname"]).to_numpy(),
            "given_names": _mrz_names(people["given_names"]).to_numpy(),
            "date_of_birth": _iso(people["date_of_birth"].to_numpy()),
            "sex": people["sex"].to_numpy(),
            "activity": activity,
            "sponsor_name": np.where(kind == "ITK", "", "PT Bukit Asam Tbk"),
            "sponsor_type": np.where(kind == "ITK", "NONE", "COMPANY"),
            "region_code": rng.choice(region_codes, n),
            "address": "Jl. Jend. Sudirman No. 1, Palembang",
            "valid_from": _iso(start),
            "valid_until": _iso(end),
            "office_code": office,
            "updated_at": _iso(start) + "T09:00:00+07:00",
        }
    )
    bad = rng.random(n) < bad_share
    frame.loc[bad, "valid_until"] = "2024-02-30"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame[STAY_PERMIT_COLUMNS].to_csv(path, index=False, lineterminator="\n")
    return n


def write_visas(path: Path, people: pd.DataFrame, as_of: date, seed: int, bad_share: float = 0.002) -> int:
    """A JSON Lines visa file for ``people``; ``.gz`` if the name says so."""
    rng = np.random.default_rng(seed)
    n = len(people)
    issued = np.datetime64(as_of) - rng.integers(5, 300, n).astype("timedelta64[D]")
    index = rng.choice(["C1", "B1", "D1", "C2", "E23"], n)
    frame = pd.DataFrame(
        {
            "visa_number": "V" + pd.Series(np.arange(n) + 1_000_000_000 + seed * 10_000_000).astype(str),
            "record_version": 1,
            "visa_index": index,
            "status": "ISSUED",
            "passport_number": people["passport_number"].to_numpy(),
            "passport_country": people["document_code"].to_numpy(),
            "nationality": people["document_code"].to_numpy(),
            "surname": _mrz_names(people["surname"]).to_numpy(),
            "given_names": _mrz_names(people["given_names"]).to_numpy(),
            "date_of_birth": _iso(people["date_of_birth"].to_numpy()),
            "sex": people["sex"].to_numpy(),
            "purpose": np.where(index == "E23", "WORK", np.where(index == "C2", "BUSINESS", "TOURISM")),
            "sponsor": None,
            "issued_at": _iso(issued) + "T10:15:00+07:00",
            "valid_until": _iso(issued + np.timedelta64(90, "D")),
            "max_stay_days": 60,
        }
    )
    bad = rng.random(n) < bad_share
    frame.loc[bad, "visa_index"] = "Z9"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0) if path.name.endswith(".gz") else data)
    return n


def write_hotel_file(
    path: Path,
    people: pd.DataFrame,
    lodging_id: str,
    region_code: str,
    day: date,
    seed: int,
    bad_share: float = 0.002,
    encoding: str = "utf-8",
) -> int:
    """One lodging's export: a check-in event per guest, a share of them checking out."""
    rng = np.random.default_rng(seed)
    n = len(people)
    window_start = np.datetime64(day - timedelta(days=1)) + np.timedelta64(12 * 60, "m")
    check_in = window_start + rng.integers(0, 20 * 60, n).astype("timedelta64[m]")
    reported = check_in + rng.integers(20, 200, n).astype("timedelta64[m]")
    leaving = rng.random(n) < 0.3
    stay_nights = rng.integers(1, 9, n).astype("timedelta64[D]")
    check_in = np.where(leaving, check_in - stay_nights, check_in)
    check_out = np.where(leaving, reported + np.timedelta64(30, "m"), np.datetime64("NaT"))
    event = np.where(leaving, "CHECK_OUT", "CHECK_IN")

    def dmy_hm(values: np.ndarray) -> pd.Series:
        text = pd.Series(pd.to_datetime(values)).dt.strftime("%d/%m/%Y %H:%M")
        return text.fillna("")

    frame = pd.DataFrame(
        {
            # The day's serial first: another day's export never reuses a report id.
            "report_id": lodging_id
            + f"-{(day - date(2000, 1, 1)).days:05d}"
            + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(7),
            "event": event,
            "lodging_id": lodging_id,
            "lodging_name": f"Hotel {lodging_id}",
            "lodging_region_code": region_code,
            "guest_surname": people["surname"].to_numpy(),
            "guest_given_names": people["given_names"].to_numpy(),
            "sex": np.where(people["sex"] == "M", "L", "P"),
            "date_of_birth": pd.Series(pd.to_datetime(people["date_of_birth"].to_numpy())).dt.strftime("%d/%m/%Y"),
            "nationality": people["nationality"].to_numpy(),
            "passport_number": people["passport_number"].to_numpy(),
            "passport_expiry": pd.Series(pd.to_datetime(people["passport_expiry"].to_numpy())).dt.strftime("%d/%m/%Y"),
            "check_in": dmy_hm(check_in),
            "check_out": dmy_hm(check_out),
            "room": pd.Series(rng.integers(101, 999, n)).astype(str),
            "occupation": rng.choice(["tourist", "wisatawan", "engineer", "manager", "pensiunan"], n),
            "purpose_of_visit": rng.choice(["liburan", "business meeting", "bekerja", "wisata"], n),
            "reported_at": dmy_hm(np.where(leaving, reported + np.timedelta64(40, "m"), reported)),
            "mrz_line1": "",
            "mrz_line2": "",
        }
    )
    bad = rng.random(n) < bad_share
    frame.loc[bad, "date_of_birth"] = "31/02/1980"
    if encoding == "cp1252":
        for column in ("guest_surname", "guest_given_names"):
            frame[column] = frame[column].map(lambda v: v if pp.fits_cp1252(v) else pp.strip_diacritics(v))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        frame[HOTEL_GUEST_COLUMNS].to_csv(handle, sep=";", index=False, lineterminator="\n")
    return n


def write_json(path: Path, payload: dict[str, object]) -> None:
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")
