"""Compose one landing day: every rule's planted cases and near misses, the contract
faults, then the ordinary guests around them.

The generator's modules each own one job and import in one direction: ``people`` makes
persons; ``scenario`` holds the day's model and the primitives that add documents and
stays to it; each rule's ``plants`` (in its folder, ``timpora.rules.<rule>.plants``) uses
those primitives to plant that rule's cases and look-alikes; ``faults`` plants rows the
feeds' contract forbids; ``day`` (this module) decides how many of each a day holds and
in what order; ``writers`` turns a finished day into the three feeds' files and its
ground truth.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

from timpora.generator import faults
from timpora.generator.scenario import DayBuilder, Scenario

Maker = Callable[[str], None]

# The order in which the rules' near misses draw from the random stream. It is the order
# they had before the plants moved into the rule folders, kept so that a seed gives the
# same day (and ground truth) as before; a rule not listed draws after these, in the
# catalogue's order. Listing a new rule here is never needed.
NEAR_MISS_DRAW_ORDER = (
    "PURPOSE_MISMATCH",
    "OVERSTAY",
    "CONCURRENT_STAY",
    "REGION_MISMATCH",
    "LATE_REPORT",
    "NO_VALID_PERMIT",
    "DOCUMENT_INVALID",
)


def rule_plants() -> dict[str, ModuleType]:
    """Each rule's ``plants`` module, by code, in the catalogue's order."""
    from timpora.rules.config import RuleCode
    from timpora.rules.folders import rule_folders

    folders = {folder.code: folder for folder in rule_folders()}
    return {
        code.value: importlib.import_module(f"{folders[code.value].module}.plants")
        for code in RuleCode
        if code.value in folders
    }


def _near_miss_order(codes: list[str]) -> list[str]:
    listed = [code for code in NEAR_MISS_DRAW_ORDER if code in codes]
    return listed + [code for code in codes if code not in listed]


def build_day(builder: DayBuilder) -> Scenario:
    """Fill ``builder``'s day and return it.

    The order of the steps is part of the generator's contract: the random stream is drawn
    in this order, so the same seed gives the same day (and the same ground truth) on
    every machine and in every release.
    """
    plants = rule_plants()
    per_rule = max(3, builder.target_stays // 60)
    for code, module in plants.items():
        variants: list[Maker] = module.planters(builder)
        for index in range(per_rule):
            variants[index % len(variants)](f"{code}-{index + 1:03d}")
    near_misses: list[Maker] = [
        maker for code in _near_miss_order(list(plants)) for maker in plants[code].near_misses(builder)
    ]
    for maker in near_misses:
        for index in range(max(1, builder.target_stays // 200)):
            maker(f"NEG-{maker.__name__.strip('_')}-{index + 1:03d}")
    for index in range(max(1, builder.target_stays // 300)):
        for fault in faults.fault_makers(builder):
            fault(f"QUARANTINE-{fault.__name__.strip('_')}-{index + 1:03d}")
    builder.windows_1252_guest()
    builder.check_out_carried()
    while len(builder.scenario.stays) < builder.target_stays:
        builder.clean_guest()
    builder.corrections_and_cancels()
    return builder.scenario
