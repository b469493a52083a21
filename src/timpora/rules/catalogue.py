"""The catalogue of rules, found in the rule folders (:mod:`timpora.rules.folders`): each
folder's ``RULE`` with its SQL beside it in ``sql/rules/<rule>/``. Nothing here lists the
rules by hand; a folder that lacks a piece stops the import with a message naming it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from timpora.rules.base import CANDIDATE_COLUMNS, VOLATILE_EVIDENCE, Rule, RuleContext, candidates, priority
from timpora.rules.config import RuleCode
from timpora.rules.folders import FOLDER_ROOT, RuleFolder, RuleFolderError, rule_folders

__all__ = [
    "CANDIDATE_COLUMNS",
    "RULES",
    "VOLATILE_EVIDENCE",
    "Rule",
    "RuleContext",
    "candidates",
    "discover",
    "priority",
]


def load_rule(folder: RuleFolder) -> Rule:
    """The ``RULE`` of a folder, checked against its ``rule.yaml``."""
    module = importlib.import_module(folder.module)
    rule = getattr(module, "RULE", None)
    if not isinstance(rule, Rule):
        raise RuleFolderError(f"rules/{folder.name}/__init__.py defines no RULE (a timpora.rules.base.Rule)")
    if rule.code.value != folder.code:
        raise RuleFolderError(f"rules/{folder.name}: RULE is {rule.code.value}, rule.yaml says {folder.code}")
    if rule.sql != folder.cases_sql:
        raise RuleFolderError(f"rules/{folder.name}: RULE reads {rule.sql!r}, not its folder's {folder.cases_sql!r}")
    return rule


def discover(root: Path = FOLDER_ROOT) -> dict[RuleCode, Rule]:
    """Every rule folder's rule, in the order DESIGN.md lists the codes (the order the
    reconcile evaluates them in). A code without a folder, or a folder without a code,
    is an error naming it, found before any folder is imported."""
    folders = {folder.code: folder for folder in rule_folders(root)}
    unknown = sorted(set(folders) - {code.value for code in RuleCode})
    if unknown:
        raise RuleFolderError(f"rule folders {', '.join(unknown)} have no RuleCode (src/timpora/rules/config.py)")
    missing = [code.value for code in RuleCode if code.value not in folders]
    if missing:
        raise RuleFolderError(
            "rule codes without a folder: "
            + ", ".join(f"{code} (src/timpora/rules/{code.lower()}/)" for code in missing)
        )
    return {code: load_rule(folders[code.value]) for code in RuleCode}


RULES: dict[RuleCode, Rule] = discover()
