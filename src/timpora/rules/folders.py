"""The rule folders: one package per rule under ``timpora.rules``, found, not listed.

A rule is everything in its folder, ``src/timpora/rules/<rule>/``:

* ``__init__.py``: ``RULE``, the :class:`timpora.rules.base.Rule` (its describer, and any
  refine or prepare step);
* ``rule.yaml``: its code, its name and one-line explanation in Bahasa Indonesia and
  English, what it decides (``cases``, ``subject``), each key of its evidence, and its
  defaults (severity, thresholds) that ``config/rules.yaml`` may override;
* ``plants.py``: ``planters(builder)`` and ``near_misses(builder)``, the cases the
  generator plants for it and the look-alikes that must raise nothing;

and the clearly paired ``sql/rules/<rule>/cases.sql``, the one ``SELECT`` of its cases.
This module reads only the YAML, so the review app's texts and the configuration's
defaults come from the folders without importing pandas or the generator.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

FOLDER_ROOT = Path(__file__).resolve().parent
RULE_FILE = "rule.yaml"
LANGUAGES = ("id", "en")
# What rule.yaml must hold, and why a reader needs it.
REQUIRED_KEYS = {
    "code": "the rule code, the folder's name in capitals",
    "name": "its name in both languages",
    "explanation": "one line in both languages on what raised it",
    "cases": "what it decides",
    "subject": "what gives a flag its identity",
    "evidence": "each key of its evidence JSON, described",
    "defaults": "its default severity (and thresholds)",
}


class RuleFolderError(ValueError):
    """A rule folder lacks a piece; the message names the folder and the piece."""


@dataclass(frozen=True)
class RuleFolder:
    """One rule's folder and its ``rule.yaml``."""

    name: str
    path: Path
    meta: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.meta["code"])

    @property
    def module(self) -> str:
        return f"timpora.rules.{self.name}"

    @property
    def cases_sql(self) -> str:
        """The name ``query_sql`` and friends take for its cases' SQL."""
        return f"rules/{self.name}/cases"

    def name_in(self, language: str) -> str:
        return str(self.meta["name"][language if language in LANGUAGES else "id"])

    def explanation_in(self, language: str) -> str:
        return str(self.meta["explanation"][language if language in LANGUAGES else "id"])

    @property
    def severity(self) -> str:
        return str(self.meta["defaults"]["severity"])

    @property
    def thresholds(self) -> dict[str, Any]:
        return dict(self.meta["defaults"].get("thresholds") or {})

    @property
    def evidence_keys(self) -> set[str]:
        return set(self.meta["evidence"])


def is_rule_folder(path: Path) -> bool:
    """A package directly under ``timpora.rules`` is a rule (shared modules are files)."""
    return path.is_dir() and (path / "__init__.py").is_file()


def meta_problems(name: str, meta: object) -> list[str]:
    """What a rule.yaml lacks, each problem naming the folder and the piece."""
    where = f"rules/{name}/{RULE_FILE}"
    if not isinstance(meta, dict):
        return [f"{where} must be a mapping"]
    problems = [f"{where} lacks {key!r} ({why})" for key, why in REQUIRED_KEYS.items() if not meta.get(key)]
    if meta.get("code") and meta["code"] != name.upper():
        problems.append(f"{where}: code {meta['code']!r} is not the folder's name in capitals ({name.upper()})")
    for key in ("name", "explanation"):
        texts = meta.get(key)
        if isinstance(texts, dict):
            problems += [f"{where}: {key} lacks its {lang!r} text" for lang in LANGUAGES if not texts.get(lang)]
        elif texts:
            problems.append(f"{where}: {key} must give one text per language ({', '.join(LANGUAGES)})")
    defaults = meta.get("defaults")
    if isinstance(defaults, dict) and not defaults.get("severity"):
        problems.append(f"{where}: defaults lacks 'severity'")
    if meta.get("evidence") and not isinstance(meta["evidence"], dict):
        problems.append(f"{where}: evidence must map each key of the evidence JSON to what it holds")
    return problems


def _defines(path: Path, name: str) -> bool:
    """Whether a module assigns or defines ``name`` at its top level (read, not imported:
    the check runs on a folder that may not import)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return True
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return True
    return False


def folder_problems(path: Path, sql_dir: Path) -> list[str]:
    """Every piece a rule folder lacks, each named with what it is for: the checklist of
    docs/RULES.md, checked."""
    where = f"src/timpora/rules/{path.name}"
    problems: list[str] = []
    init = path / "__init__.py"
    if not init.is_file():
        problems.append(f"{where} has no __init__.py (its RULE: describer, refine, parameters)")
    elif not _defines(init, "RULE"):
        problems.append(f"{where}/__init__.py defines no RULE (a timpora.rules.base.Rule)")
    rule_file = path / RULE_FILE
    if not rule_file.is_file():
        problems.append(f"{where} has no {RULE_FILE} ({', '.join(REQUIRED_KEYS)})")
    else:
        problems += meta_problems(path.name, yaml.safe_load(rule_file.read_text(encoding="utf-8")))
    plants = path / "plants.py"
    if not plants.is_file():
        problems.append(f"{where} has no plants.py (planters and near_misses for the generator)")
    else:
        problems += [
            f"{where}/plants.py defines no {name}() ({why})"
            for name, why in (("planters", "the cases it must flag"), ("near_misses", "look-alikes it must not flag"))
            if not _defines(plants, name)
        ]
    cases = sql_dir / "rules" / path.name
    if not any(cases.glob("cases*.sql")):
        problems.append(f"sql/rules/{path.name}/cases.sql is missing (the SELECT of its cases)")
    return problems


def read_folder(path: Path) -> RuleFolder:
    rule_file = path / RULE_FILE
    if not rule_file.is_file():
        raise RuleFolderError(f"rules/{path.name} has no {RULE_FILE} ({', '.join(REQUIRED_KEYS)})")
    meta = yaml.safe_load(rule_file.read_text(encoding="utf-8"))
    problems = meta_problems(path.name, meta)
    if problems:
        raise RuleFolderError("; ".join(problems))
    return RuleFolder(path.name, path, meta)


@lru_cache(maxsize=4)
def rule_folders(root: Path = FOLDER_ROOT) -> tuple[RuleFolder, ...]:
    """Every rule folder under ``root``, by name; an incomplete one stops the caller with
    a message naming what it lacks."""
    return tuple(read_folder(path) for path in sorted(root.iterdir()) if is_rule_folder(path))


def folder_of(code: str) -> RuleFolder | None:
    return next((folder for folder in rule_folders() if folder.code == code), None)
