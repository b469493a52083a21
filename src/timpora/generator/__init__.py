"""Demo data: one realistic landing day of the three feeds, with its ground truth.

>>> from datetime import date
>>> truth = generate_day(Path("data/landing"), Path("data/truth.json"), date(2024, 10, 3))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from timpora.generator.day import build_day
from timpora.generator.scenario import DayBuilder
from timpora.generator.writers import ground_truth, write_scenario
from timpora.reference import regions

__all__ = ["DEFAULT_DAY", "DEFAULT_PROVINCE", "DEFAULT_REGENCIES", "generate_day", "generate_days"]

DEFAULT_DAY = date(2024, 10, 3)
DEFAULT_PROVINCE = "16"
DEFAULT_REGENCIES = ["16.71", "16.72"]  # Kota Palembang, Kota Pagar Alam


def _regencies_for(province: str, regencies: list[str] | None) -> list[str]:
    table = regions()
    if province not in table or table[province].level != "province":
        raise ValueError(f"{province!r} is not a province code")
    chosen = (
        list(regencies)
        if regencies
        else (
            DEFAULT_REGENCIES
            if province == DEFAULT_PROVINCE
            else [code for code, r in table.items() if r.province_code == province and r.level != "province"][:2]
        )
    )
    for code in chosen:
        if code not in table or table[code].level == "province" or table[code].province_code != province:
            raise ValueError(f"{code!r} is not a regency or city of province {province}")
    if len(chosen) < 2:
        # CONCURRENT_STAY needs lodgings in two regencies: add the province's next one.
        others = [
            c for c, r in table.items() if r.province_code == province and r.level != "province" and c not in chosen
        ]
        chosen.append(others[0])
    return chosen


def generate_day(
    landing_dir: Path,
    truth_path: Path,
    day: date = DEFAULT_DAY,
    province: str = DEFAULT_PROVINCE,
    regencies: list[str] | None = None,
    seed: int = 7,
    stays: int = 300,
) -> dict[str, Any]:
    """Write one landing day under ``landing_dir`` and its ground truth to ``truth_path``."""
    if stays < 120:
        raise ValueError("stays must be at least 120: every rule's cases and look-alikes need room")
    chosen = _regencies_for(province, regencies)
    scenario = build_day(DayBuilder(day, province, chosen, seed, stays))
    keys = write_scenario(scenario, landing_dir, seed)
    parameters = {"day": day.isoformat(), "province": province, "regencies": chosen, "seed": seed, "stays": stays}
    truth = ground_truth(scenario, keys, parameters)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return truth


def generate_days(
    landing_dir: Path,
    truth_dir: Path,
    first_day: date = DEFAULT_DAY,
    days: int = 2,
    province: str = DEFAULT_PROVINCE,
    regencies: list[str] | None = None,
    seed: int = 7,
    stays: int = 300,
) -> list[dict[str, Any]]:
    """Consecutive landing days, each with its own people (seed + the day's number) and
    report ids, and continuity between them: guests still checked in at the end of a day
    check out on a later one, under the same report id. Day k's truth (one file per day in
    ``truth_dir``) names the stays it continues, with their documents of earlier days;
    judge a day with the days before it loaded."""
    if days < 1:
        raise ValueError("days must be 1 or more")
    chosen = _regencies_for(province, regencies)
    truths: list[dict[str, Any]] = []
    carried: list[Any] = []
    earlier_stays: dict[str, Any] = {}
    for number in range(days):
        day = first_day + timedelta(days=number)
        builder = DayBuilder(day, province, chosen, seed + number, stays, carried=carried)
        scenario = build_day(builder)
        keys = write_scenario(scenario, landing_dir, seed + number)
        parameters = {"day": day.isoformat(), "province": province, "regencies": chosen, "seed": seed + number}
        truth = ground_truth(scenario, keys, {**parameters, "stays": stays, "continues": scenario.carried})
        for report_id in scenario.carried:
            truth["stays"][report_id] = earlier_stays[report_id]
        earlier_stays |= truth["stays"]
        path = truth_dir / f"ground_truth_{day:%Y%m%d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
        truths.append(truth)
        carried = [stay for stay in builder.open_stays() if stay.report_id not in scenario.carried] + [
            stay for stay in carried if stay.report_id not in scenario.carried
        ]
    return truths
