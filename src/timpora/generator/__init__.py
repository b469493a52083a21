"""Demo data: one realistic landing day of the three feeds, with its ground truth.

>>> from datetime import date
>>> truth = generate_day(Path("data/landing"), Path("data/truth.json"), date(2024, 10, 3))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from timpora.generator.scenario import DayBuilder
from timpora.generator.writers import ground_truth, write_scenario
from timpora.reference import regions

__all__ = ["DEFAULT_DAY", "DEFAULT_PROVINCE", "DEFAULT_REGENCIES", "generate_day"]

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
    scenario = DayBuilder(day, province, chosen, seed, stays).build()
    keys = write_scenario(scenario, landing_dir, seed)
    parameters = {"day": day.isoformat(), "province": province, "regencies": chosen, "seed": seed, "stays": stays}
    truth = ground_truth(scenario, keys, parameters)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return truth
