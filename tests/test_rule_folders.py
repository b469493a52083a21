"""One folder per rule (issue 37): everything a rule is lives in
``src/timpora/rules/<rule>/`` (its RULE, rule.yaml with its texts, evidence and defaults,
its plants) with its SQL in ``sql/rules/<rule>/``; the catalogue finds the folders, and a
folder that lacks a piece fails here with the piece named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from timpora.config import get_settings
from timpora.generator import DEFAULT_DAY, DEFAULT_PROVINCE, _regencies_for
from timpora.generator.day import rule_plants
from timpora.generator.scenario import DayBuilder
from timpora.rules import catalogue
from timpora.rules.config import RuleCode, Thresholds, load_rules_config
from timpora.rules.folders import FOLDER_ROOT, RuleFolderError, folder_problems, read_folder, rule_folders

REPO = Path(__file__).resolve().parents[1]
SQL_DIR = get_settings().sql_dir


def test_every_rule_code_has_a_complete_folder_and_every_folder_a_code() -> None:
    folders = {folder.code: folder for folder in rule_folders()}
    assert set(folders) == {code.value for code in RuleCode}
    problems = [problem for folder in folders.values() for problem in folder_problems(folder.path, SQL_DIR)]
    assert problems == []


def test_the_catalogue_is_the_folders_in_the_order_of_the_codes() -> None:
    assert list(catalogue.RULES) == list(RuleCode)
    for code, rule in catalogue.RULES.items():
        assert rule.sql == f"rules/{code.value.lower()}/cases"
        assert (SQL_DIR / "rules" / code.value.lower() / "cases.sql").is_file()


def _copy(tmp_path: Path, name: str = "late_report") -> tuple[Path, Path]:
    """A copy of one rule folder and its SQL, to break."""
    folder = shutil.copytree(FOLDER_ROOT / name, tmp_path / "rules" / name)
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR / "rules" / name, sql / "rules" / name)
    return Path(folder), sql


def _edit_yaml(folder: Path, change: object) -> None:
    meta = yaml.safe_load((folder / "rule.yaml").read_text(encoding="utf-8"))
    change(meta)  # type: ignore[operator]
    (folder / "rule.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


BREAKAGES = {
    "no RULE": (
        lambda folder, sql: (folder / "__init__.py").write_text('"""nothing"""\n'),
        "__init__.py defines no RULE",
    ),
    "no rule.yaml": (lambda folder, sql: (folder / "rule.yaml").unlink(), "has no rule.yaml"),
    "no English name": (
        lambda folder, sql: _edit_yaml(folder, lambda m: m["name"].pop("en")),
        "name lacks its 'en' text",
    ),
    "no evidence": (lambda folder, sql: _edit_yaml(folder, lambda m: m.pop("evidence")), "lacks 'evidence'"),
    "no severity": (
        lambda folder, sql: _edit_yaml(folder, lambda m: m["defaults"].pop("severity")),
        "defaults lacks 'severity'",
    ),
    "wrong code": (
        lambda folder, sql: _edit_yaml(folder, lambda m: m.update(code="LATE")),
        "is not the folder's name in capitals",
    ),
    "no plants": (lambda folder, sql: (folder / "plants.py").unlink(), "has no plants.py"),
    "no near misses": (
        lambda folder, sql: (folder / "plants.py").write_text("def planters(b):\n    return []\n"),
        "plants.py defines no near_misses()",
    ),
    "no SQL": (lambda folder, sql: (sql / "rules" / "late_report" / "cases.sql").unlink(), "cases.sql is missing"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_folder_lacking_a_piece_is_named_with_the_piece(tmp_path: Path, breakage: str) -> None:
    folder, sql = _copy(tmp_path)
    assert folder_problems(folder, sql) == []
    breaking, message = BREAKAGES[breakage]
    breaking(folder, sql)
    problems = folder_problems(folder, sql)
    assert len(problems) == 1 and message in problems[0], problems
    assert "late_report" in problems[0]


def test_an_incomplete_folder_stops_discovery_with_the_piece_named(tmp_path: Path) -> None:
    folder, _ = _copy(tmp_path)
    _edit_yaml(folder, lambda m: m.pop("explanation"))
    with pytest.raises(RuleFolderError, match=r"rules/late_report/rule.yaml lacks 'explanation'"):
        read_folder(folder)


def test_a_code_without_a_folder_or_a_folder_without_a_code_stops_discovery(tmp_path: Path) -> None:
    folder, _ = _copy(tmp_path)
    with pytest.raises(RuleFolderError, match=r"OVERSTAY \(src/timpora/rules/overstay/\)"):
        catalogue.discover(folder.parent)
    # (the folders are read once per root: the second case gets a root of its own)
    early = Path(shutil.copytree(folder, tmp_path / "more" / "early_report"))
    _edit_yaml(early, lambda m: m.update(code="EARLY_REPORT"))
    with pytest.raises(RuleFolderError, match="rule folders EARLY_REPORT have no RuleCode"):
        catalogue.discover(early.parent)


def test_each_threshold_has_its_default_in_exactly_one_rule_folder() -> None:
    owners: dict[str, list[str]] = {}
    for folder in rule_folders():
        for key in folder.thresholds:
            owners.setdefault(key, []).append(folder.name)
    assert {key: len(names) for key, names in owners.items()} == dict.fromkeys(Thresholds.model_fields, 1)
    config = load_rules_config()
    for folder in rule_folders():
        assert config.severity(RuleCode(folder.code)).value == folder.severity, folder.code


def test_a_rule_left_out_of_the_configuration_takes_its_folders_defaults() -> None:
    from timpora.rules.config import parse_rules_config

    raw = yaml.safe_load((REPO / "config" / "rules.yaml").read_text(encoding="utf-8"))
    raw["rules"].pop("LATE_REPORT")
    raw.pop("thresholds")
    raw["rules"]["OVERSTAY"] = {"enabled": False}
    config = parse_rules_config(yaml.safe_dump(raw))
    assert config.severity(RuleCode.LATE_REPORT).value == "LOW"
    assert config.thresholds.late_report_hours == 24 and config.thresholds.region_mismatch_nights == 30
    assert config.severity(RuleCode.OVERSTAY).value == "HIGH" and not config.enabled(RuleCode.OVERSTAY)


def test_every_rule_plants_cases_and_near_misses_that_name_it() -> None:
    builder = DayBuilder(DEFAULT_DAY, DEFAULT_PROVINCE, _regencies_for(DEFAULT_PROVINCE, None), 3, 300)
    for code, plants in rule_plants().items():
        planters, near_misses = plants.planters(builder), plants.near_misses(builder)
        assert planters, f"{code} plants no case"
        assert near_misses, f"{code} plants no near miss"
        for index, planter in enumerate(planters):
            planter(f"{code}-T{index}")
        for index, near_miss in enumerate(near_misses):
            near_miss(f"NEG-{code}-T{index}")
        planted = {case["rule_code"] for case in builder.scenario.planted if case["case_id"].startswith(code)}
        negatives = {case["kind"] for case in builder.scenario.negatives if case["case_id"].startswith(f"NEG-{code}")}
        assert planted == {code} and negatives == {code}


def test_the_rules_page_describes_every_rule() -> None:
    page = (REPO / "docs" / "RULES.md").read_text(encoding="utf-8")
    for code in RuleCode:
        assert f"**`{code.value}`**" in page, f"docs/RULES.md has no paragraph on {code.value}"
