"""Rule configuration (``config/rules.yaml``), validated on load.

A mistake in the file (an unknown key, a negative threshold, a window that ends before
it starts) stops the reconcile run with a message that names the key, never a silent
default. A rule's severity or a threshold the file leaves out takes the default its rule
folder declares (``src/timpora/rules/<rule>/rule.yaml``).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from timpora.config import get_settings


class RuleCode(StrEnum):
    """The stable rule codes of DESIGN.md."""

    NO_VALID_PERMIT = "NO_VALID_PERMIT"
    OVERSTAY = "OVERSTAY"
    IDENTITY_MISMATCH = "IDENTITY_MISMATCH"
    PURPOSE_MISMATCH = "PURPOSE_MISMATCH"
    REGION_MISMATCH = "REGION_MISMATCH"
    CONCURRENT_STAY = "CONCURRENT_STAY"
    LATE_REPORT = "LATE_REPORT"
    DOCUMENT_INVALID = "DOCUMENT_INVALID"


class Severity(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSettings(_Strict):
    severity: Severity
    enabled: bool = True


class Thresholds(_Strict):
    """The rules' thresholds, with their bounds; each one's default is in the rule folder
    that uses it (``defaults.thresholds`` of its ``rule.yaml``)."""

    late_report_hours: Annotated[int, Field(gt=0, le=24 * 30)]
    region_mismatch_nights: Annotated[int, Field(gt=0, le=3650)]


class LinkingSettings(_Strict):
    accept_score: Annotated[float, Field(gt=0, le=1)] = 0.80
    name_similarity_min: Annotated[float, Field(gt=0, le=1)] = 0.72


class DeclaredActivity(StrEnum):
    """What a guest's declaration (or sponsor) may point to that a permit must allow."""

    JOURNALISM = "JOURNALISM"
    FILM = "FILM"
    NGO = "NGO"
    RESEARCH = "RESEARCH"
    WORK = "WORK"


class PurposeSettings(_Strict):
    """The PURPOSE_MISMATCH lexicon: words per declared activity, and sponsor types."""

    lexicon: dict[DeclaredActivity, list[Annotated[str, Field(min_length=2)]]]
    sponsor_types: dict[str, DeclaredActivity] = {}

    @field_validator("lexicon")
    @classmethod
    def _terms_compile(cls, value: dict[DeclaredActivity, list[str]]) -> dict[DeclaredActivity, list[str]]:
        for activity, terms in value.items():
            if not terms:
                raise ValueError(f"lexicon {activity.value} lists no term")
            for term in terms:
                try:
                    re.compile(term)
                except re.error as exc:
                    raise ValueError(f"lexicon {activity.value} term {term!r} is not a valid pattern: {exc}") from None
        return value

    def pattern(self, activity: DeclaredActivity) -> str:
        """One case-insensitive pattern with a capture group, terms on word boundaries."""
        terms = "|".join(f"(?:{term})" for term in self.lexicon.get(activity, []))
        return rf"(?i)\b({terms})\b" if terms else r"(?!)"


class PrioritySettings(_Strict):
    severity_points: dict[Severity, Annotated[int, Field(ge=0)]]
    age_points_per_day: Annotated[int, Field(ge=0)] = 2
    age_points_max: Annotated[int, Field(ge=0)] = 60

    @field_validator("severity_points")
    @classmethod
    def _every_severity(cls, value: dict[Severity, int]) -> dict[Severity, int]:
        missing = [s.value for s in Severity if s not in value]
        if missing:
            raise ValueError(f"severity_points lacks {', '.join(missing)}")
        return value


class MonitoringWindow(_Strict):
    """A period and set of regions under closer watch (e.g. an election)."""

    name: str
    region_prefixes: list[Annotated[str, Field(pattern=r"^\d{2}(\.\d{2})?$")]]
    date_from: date
    date_until: date
    priority_boost: Annotated[int, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> MonitoringWindow:
        if self.date_until < self.date_from:
            raise ValueError(f"window {self.name!r} ends ({self.date_until}) before it starts ({self.date_from})")
        if not self.region_prefixes:
            raise ValueError(f"window {self.name!r} names no region")
        return self

    def covers_region(self, region_code: str) -> bool:
        return any(region_code == p or region_code.startswith(p + ".") for p in self.region_prefixes)


class ReviewSettings(_Strict):
    """How the review queue is worked: a deadline per severity from when a flag is raised
    (past it the flag is overdue and its region's supervisors are told), and how long a
    claim may sit without any action before it is released for others."""

    deadline_hours: dict[Severity, Annotated[int, Field(ge=1, le=24 * 90)]] = {
        Severity.HIGH: 24,
        Severity.MEDIUM: 72,
        Severity.LOW: 168,
    }
    claim_idle_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 8

    @field_validator("deadline_hours")
    @classmethod
    def _every_deadline(cls, value: dict[Severity, int]) -> dict[Severity, int]:
        missing = [s.value for s in Severity if s not in value]
        if missing:
            raise ValueError(f"deadline_hours lacks {', '.join(missing)}")
        return value


class RulesConfig(_Strict):
    version: Annotated[str, Field(min_length=1, max_length=20)]
    rules: dict[RuleCode, RuleSettings]
    thresholds: Thresholds
    linking: LinkingSettings = LinkingSettings()
    purpose: PurposeSettings
    priority: PrioritySettings
    monitoring_windows: list[MonitoringWindow] = []
    review: ReviewSettings = ReviewSettings()

    @model_validator(mode="before")
    @classmethod
    def _folder_defaults(cls, raw: Any) -> Any:
        """What the file leaves out comes from the rule folders' ``defaults``: a rule's
        severity, a threshold. What the file gives wins, key by key; what is malformed is
        left as given for the model to name."""
        if not isinstance(raw, dict):
            return raw
        from timpora.rules.folders import rule_folders

        folders = rule_folders()
        raw = dict(raw)
        given_rules = raw.get("rules", {})
        if isinstance(given_rules, dict):
            defaults = {folder.code: {"severity": folder.severity} for folder in folders}
            raw["rules"] = {
                **defaults,
                **{
                    code: {**defaults.get(code, {}), **given} if isinstance(given, dict) else given
                    for code, given in given_rules.items()
                },
            }
        given_thresholds = raw.get("thresholds", {})
        if isinstance(given_thresholds, dict):
            folder_thresholds = {key: value for folder in folders for key, value in folder.thresholds.items()}
            raw["thresholds"] = {**folder_thresholds, **given_thresholds}
        return raw

    @field_validator("rules")
    @classmethod
    def _every_rule(cls, value: dict[RuleCode, RuleSettings]) -> dict[RuleCode, RuleSettings]:
        missing = [code.value for code in RuleCode if code not in value]
        if missing:
            raise ValueError(f"rules lacks {', '.join(missing)}")
        return value

    def enabled(self, code: RuleCode) -> bool:
        return self.rules[code].enabled

    def severity(self, code: RuleCode) -> Severity:
        return self.rules[code].severity


class RulesConfigError(ValueError):
    """The rule configuration file is invalid; the message says where."""


def parse_rules_config(text: str, source: str = "rules.yaml") -> RulesConfig:
    """Validate YAML text as a rule configuration."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesConfigError(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RulesConfigError(f"{source} must be a mapping at the top level")
    try:
        return RulesConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}" for error in exc.errors()
        )
        raise RulesConfigError(f"{source} is invalid: {problems}") from None


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> RulesConfig:
    return parse_rules_config(path.read_text(encoding="utf-8"), str(path))


def load_rules_config(path: Path | None = None) -> RulesConfig:
    """The configured rule file, re-read when it changes."""
    path = path or get_settings().rules_config
    if not path.is_file():
        raise RulesConfigError(f"rule configuration {path} does not exist")
    return _load(path, path.stat().st_mtime)
