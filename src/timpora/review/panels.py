"""The flag page's evidence panel, one per rule: the records side by side, the fields that
decide the rule marked, and the facts of the finding in the reviewer's words.

A panel is built from what :mod:`timpora.review.disclosure` let through for the acting user
(a field an analyst may not see is simply absent), so the panel cannot widen the privacy
boundary. Marks on a cell: ``differs`` (beyond typing noise), ``noise`` (a typing
difference), ``swapped`` (surname and given names in the other order), ``decisive`` (the
field the rule decided on: the permit's end date for OVERSTAY, the report time for
LATE_REPORT, ...). Every rule has a ``FACTS`` entry; a test checks none is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from timpora.reference import regions
from timpora.review.i18n import rule_explanation, rule_name, term, words
from timpora.rules.config import RuleCode
from timpora.rules.document import FINDINGS

DIFFERS, NOISE, SWAPPED, DECISIVE = "differs", "noise", "swapped", "decisive"
# TD3 (passport) MRZ, line 2: where each field and its check digit sit (ICAO 9303-4).
MRZ_LINE2_FIELDS = {
    "passport_number": (0, 9, 9),
    "nationality": (10, 13, None),
    "date_of_birth": (13, 19, 19),
    "sex": (20, 21, None),
    "expiry": (21, 27, 27),
    "personal_number": (28, 42, 42),
    "composite": (43, 43, 43),
}

Fact = dict[str, str]
_STAMP = re.compile(
    r"^(?P<day>\d{4}-\d{2}-\d{2})[T ](?P<hm>\d{2}:\d{2})(?P<rest>:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def region_name(code: Any) -> str:
    """``Kota Palembang (16.71)``; a code the list does not know reads as itself."""
    if not code:
        return ""
    region = regions().get(str(code))
    return f"{region.name} ({code})" if region else str(code)


def _province_name(code: Any) -> str:
    return region_name(str(code).split(".", 1)[0]) if code else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    stamp = _STAMP.match(text)
    if stamp:
        # A date read back as midnight (PostgreSQL DATE through pandas) is the date; a time
        # is shown to the minute: seconds are noise to a reviewer.
        return (
            stamp["day"]
            if stamp["rest"] in (None, "", ":00", ":00.000") and stamp["hm"] == "00:00"
            else (f"{stamp['day']} {stamp['hm']}")
        )
    return text[:300]


def _span(start: Any, end: Any) -> str:
    return f"{_text(start)} → {_text(end) or '…'}"


def name_order_swapped(surname: Any, given: Any, other_surname: Any, other_given: Any) -> bool:
    """The same two names, in the other order (``Liu Ming`` against ``MING LIU``), folded as
    identity linking folds them (MRZ letters, transliterated)."""
    import pandas as pd

    from timpora.matching.names import fold

    a, b, c, d = fold(pd.Series([surname, given, other_surname, other_given], dtype=object)).tolist()
    return bool(a and b) and a == d and b == c and a != b


def build_panel(detail: dict[str, Any], language: str) -> dict[str, Any]:
    """The evidence panel of a flag (``detail`` as :func:`timpora.review.service.flag_detail`
    returns it for the acting user)."""
    t = words(language)
    flag = detail["flag"]
    evidence = flag.get("evidence") or {}
    code = str(flag["rule_code"])
    stays, documents = detail["stays"], detail["documents"]
    verdicts = {(link["report_id"], link["document_number"]): link for link in detail["links"]}
    first_report = stays[0]["report_id"] if stays else None

    columns = [{"title": f"{t['stay']} {s['report_id']}", "kind": "stay", "key": s["report_id"]} for s in stays] + [
        {
            "title": f"{t['permit'] if d['document_kind'] == 'PERMIT' else t['visa']} {d['document_number']}",
            "subtitle": f"{d.get('kind') or ''} · {term('document_status', d.get('status'), language)}"
            f" · v{d.get('record_version')}",
            "kind": d["document_kind"].lower(),
            "key": d["document_number"],
        }
        for d in documents
    ]
    rows: list[dict[str, Any]] = []

    def row(name: str, stay_value: Callable[[dict[str, Any]], Any], doc_value: Callable[[dict[str, Any]], Any]) -> None:
        cells = [{"value": _text(stay_value(s)), "mark": ""} for s in stays]
        cells += [{"value": _text(doc_value(d)), "mark": ""} for d in documents]
        rows.append({"key": name, "label": t[name], "cells": cells})

    row("surname", lambda s: s.get("guest_surname"), lambda d: d.get("surname"))
    row("given_names", lambda s: s.get("guest_given_names"), lambda d: d.get("given_names"))
    row("sex", lambda s: term("sex", s.get("sex"), language), lambda d: term("sex", d.get("sex"), language))
    row("date_of_birth", lambda s: s.get("date_of_birth"), lambda d: d.get("date_of_birth"))
    row("nationality", lambda s: s.get("nationality"), lambda d: d.get("nationality"))
    row(
        "passport_number",
        lambda s: s.get("passport_number_raw") or s.get("passport_number"),
        lambda d: d.get("passport_number"),
    )
    row("passport_expiry", lambda s: s.get("passport_expiry"), lambda d: "")
    row(
        "place",
        lambda s: " · ".join(v for v in (s.get("lodging_name"), s.get("lodging_id")) if v),
        lambda d: d.get("address") or "",
    )
    row("region", lambda s: region_name(s.get("lodging_region_code")), lambda d: region_name(d.get("region_code")))
    row(
        "province",
        lambda s: _province_name(s.get("lodging_region_code")),
        lambda d: _province_name(d.get("region_code")),
    )
    row(
        "dates",
        lambda s: _span(s.get("check_in_local"), s.get("check_out_local")),
        lambda d: _span(d.get("valid_from"), d.get("valid_until")),
    )
    row("reported", lambda s: s.get("check_in_reported_local"), lambda d: "")
    row(
        "activity",
        lambda s: " / ".join(v for v in (s.get("occupation"), s.get("purpose_of_visit")) if v),
        lambda d: " · ".join(
            v
            for v in (
                term("activity", d.get("activity"), language),
                term("sponsor_type", d.get("sponsor_type"), language) if d.get("sponsor_type") else "",
                d.get("sponsor_name"),
            )
            if v
        ),
    )
    row("office", lambda s: "", lambda d: d.get("office_code") or "")
    row("mrz", lambda s: "\n".join(v for v in (s.get("mrz_line1"), s.get("mrz_line2")) if v), lambda d: "")

    by_key = {r["key"]: r for r in rows}
    # Identity: the link verdicts of the first stay against each document, and name order.
    for position, d in enumerate(documents, start=len(stays)):
        link = verdicts.get((first_report, d["document_number"])) if first_report else None
        for key, verdict_key in (
            ("surname", "name_verdict"),
            ("given_names", "name_verdict"),
            ("sex", "sex_verdict"),
            ("date_of_birth", "date_of_birth_verdict"),
            ("nationality", "nationality_verdict"),
        ):
            verdict = (link or {}).get(verdict_key)
            by_key[key]["cells"][position]["mark"] = {"DIFFERENT": DIFFERS, "NOISE": NOISE}.get(verdict or "", "")
        if stays and name_order_swapped(
            stays[0].get("guest_surname"), stays[0].get("guest_given_names"), d.get("surname"), d.get("given_names")
        ):
            for key in ("surname", "given_names"):
                by_key[key]["cells"][position]["mark"] = SWAPPED
                by_key[key]["cells"][0]["mark"] = SWAPPED

    def mark(key: str, column_key: Any, how: str = DECISIVE) -> None:
        for position, column in enumerate(columns):
            if column["key"] == column_key and by_key[key]["cells"][position]["value"]:
                by_key[key]["cells"][position]["mark"] = how

    facts, extra = FACTS[RuleCode(code)](evidence, language, mark) if code in RuleCode.__members__ else ([], {})
    # Rows nobody has a value in are left out (a visa has no address, a clean stay no MRZ).
    shown = [r for r in rows if any(cell["value"] for cell in r["cells"])]
    return {
        "rule_code": code,
        "rule_name": rule_name(code, language),
        "explanation": rule_explanation(code, language),
        "columns": columns,
        "rows": shown,
        "facts": facts,
        **extra,
    }


def _fact(label: str, value: Any, how: str = "") -> Fact:
    return {"label": label, "value": _text(value) if not isinstance(value, str) else value, "mark": how}


def _nights(evidence: dict[str, Any], t: dict[str, str]) -> str:
    nights = evidence.get("nights") or {}
    if not nights:
        return ""
    return f"{nights.get('count')} {t['nights_word']} ({nights.get('first')} → {nights.get('last')})"


Marker = Callable[[str, Any, str], None]


def _no_valid_permit(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    stay = evidence.get("stay") or {}
    mark("dates", stay.get("report_id"), DECISIVE)
    return [
        _fact(t["nights_without_permit"], _nights(evidence, t), DECISIVE),
        _fact(t["permits_on_passport"], evidence.get("permits_on_passport", ""), DECISIVE),
        _fact(t["visas_on_passport"], evidence.get("visas_on_passport", "")),
    ], {}


def _overstay(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    permit, stay = evidence.get("permit") or {}, evidence.get("stay") or {}
    mark("dates", permit.get("permit_number"), DECISIVE)
    mark("dates", stay.get("report_id"), DECISIVE)
    return [
        _fact(
            t["permit_ended"],
            f"{permit.get('valid_until', '')} · {permit.get('permit_number', '')} ({permit.get('permit_type', '')}, "
            f"{term('document_status', permit.get('status'), language)})",
            DECISIVE,
        ),
        _fact(t["nights_after_end"], _nights(evidence, t), DECISIVE),
        _fact(t["office"], permit.get("office_code", "")),
    ], {}


def _identity_mismatch(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    facts = [
        _fact(
            t["fields_differ"],
            ", ".join(term("disagreement", d, language) for d in evidence.get("disagreements") or []),
            DECISIVE,
        ),
        _fact(t["best_score"], evidence.get("best_score", "")),
    ]
    for comparison in (evidence.get("documents") or {}).get("comparisons") or []:
        name = comparison.get("name") or {}
        if name.get("order_swapped"):
            facts.append(_fact(t["name"], f"{name.get('guest')} ↔ {name.get('document')}: {t['swapped']}", SWAPPED))
    return facts, {}


def _purpose_mismatch(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    declared, permit, visa = evidence.get("declared") or {}, evidence.get("permit") or {}, evidence.get("visa") or {}
    stay = evidence.get("stay") or {}
    assessment = evidence.get("assessment") or {}
    disallowed = set(evidence.get("disagreements") or [])
    if any((assessment.get(a) or {}).get("word") for a in disallowed) or declared.get("matched_words"):
        mark("activity", stay.get("report_id"), DECISIVE)
    mark("activity", permit.get("permit_number"), DECISIVE)
    if visa.get("visa_number"):
        mark("activity", visa.get("visa_number"), DECISIVE)
    sources = []
    for activity in sorted(disallowed):
        found = assessment.get(activity) or {}
        origin = []
        if found.get("word"):
            origin.append(f"{t['declared_text']} «{found['word']}»")
        if found.get("by_sponsor"):
            origin.append(
                f"{t['sponsor']} "
                + term("sponsor_type", permit.get("sponsor_type") or visa.get("sponsor_type"), language)
            )
        sources.append(f"{term('activity', activity, language)}: {', '.join(origin) or t['declared_text']}")
    table = [
        {
            "activity": term("activity", activity, language),
            "word": found.get("word") or "",
            "by_sponsor": bool(found.get("by_sponsor")),
            "permit_allows": bool(found.get("permit_allows")),
            "visa_allows": found.get("visa_allows"),
            "decisive": activity in disallowed,
        }
        for activity, found in sorted(assessment.items())
        if found.get("declared") or found.get("by_sponsor")
    ]
    return [
        _fact(t["finding_from"], "; ".join(sources), DECISIVE),
        _fact(
            t["declared_text"],
            " / ".join(v for v in (declared.get("occupation"), declared.get("purpose_of_visit")) if v),
        ),
        _fact(
            t["permit"],
            f"{permit.get('permit_number', '')} · {term('activity', permit.get('activity'), language)} · "
            f"{t['sponsor']}: {term('sponsor_type', permit.get('sponsor_type'), language)}"
            + (f" ({permit['sponsor_name']})" if permit.get("sponsor_name") else ""),
            DECISIVE,
        ),
        _fact(
            t["visa"],
            f"{visa.get('visa_number', '')} · {t['visa_index']} {visa.get('visa_index', '')} "
            f"({t['catalogue_edition']} {visa.get('catalogue_edition', '')})"
            if visa.get("visa_index")
            else t["no_visa"],
            DECISIVE if visa.get("visa_index") else "",
        ),
    ], {"assessment": table}


def _region_mismatch(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    permit, stay = evidence.get("permit") or {}, evidence.get("stay") or {}
    mark("province", permit.get("permit_number"), DECISIVE)
    mark("province", stay.get("report_id"), DECISIVE)
    return [
        _fact(
            t["registered_address"],
            ", ".join(
                v
                for v in (
                    permit.get("address"),
                    region_name(permit.get("region_code")),
                    _province_name(permit.get("province_code")),
                )
                if v
            ),
            DECISIVE,
        ),
        _fact(t["lodging_province"], _province_name(evidence.get("lodging_province_code")), DECISIVE),
        _fact(t["nights_in_a_row"], _nights(evidence, t), DECISIVE),
        _fact(t["threshold"], f"{evidence.get('threshold_nights', '')} {t['nights_word']}"),
    ], {}


def _late_report(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    stay = evidence.get("stay") or {}
    mark("reported", stay.get("report_id"), DECISIVE)
    mark("dates", stay.get("report_id"), DECISIVE)
    return [
        _fact(t["check_in"], evidence.get("check_in_local", "")),
        _fact(t["reported"], evidence.get("reported_local", ""), DECISIVE),
        _fact(
            t["delay"],
            f"{evidence.get('delay_hours', '')} {t['hours']} "
            f"({t['limit']} {evidence.get('threshold_hours', '')} {t['hours']})",
            DECISIVE,
        ),
    ], {}


def _document_invalid(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    stay = evidence.get("stay") or {}
    findings = evidence.get("findings") or []
    position = 0 if language == "id" else 1
    if {"PASSPORT_EXPIRED_BEFORE_STAY", "MRZ_EXPIRED_BEFORE_STAY"} & set(findings):
        mark("passport_expiry", stay.get("report_id"), DECISIVE)
    if any(f.startswith(("MRZ", "CHECK")) for f in findings):
        mark("mrz", stay.get("report_id"), DECISIVE)
    facts = [_fact(t["findings"], "; ".join(FINDINGS.get(f, (f, f))[position] for f in findings), DECISIVE)]
    return facts, {"mrz": mrz_view(evidence.get("mrz") or {}, language, findings)}


# Where each ICAO form problem sits: (line 0 or 1, start, end).
FORM_SPANS = {
    "MRZ_DOCUMENT_CODE_INVALID": (0, 0, 2),
    "MRZ_ISSUING_STATE_UNKNOWN": (0, 2, 5),
    "MRZ_NATIONALITY_UNKNOWN": (1, 10, 13),
    "MRZ_DATE_OF_BIRTH_MALFORMED": (1, 13, 19),
    "MRZ_SEX_INVALID": (1, 20, 21),
    "MRZ_EXPIRY_MALFORMED": (1, 21, 27),
}


def mrz_view(mrz: dict[str, Any], language: str, findings: list[str] | None = None) -> dict[str, Any] | None:
    """The two MRZ lines character by character, with failing check digits and contradicted
    fields marked, and the typed fields against the MRZ's."""
    t = words(language)
    line1, line2 = mrz.get("line1"), mrz.get("line2")
    checks = mrz.get("check_digits") or {}
    fields = mrz.get("fields") or {}
    marks2 = [""] * len(line2 or "")
    for name, (start, end, check) in MRZ_LINE2_FIELDS.items():
        if (fields.get(name) or {}).get("differs"):
            for i in range(start, min(end, len(marks2))):
                marks2[i] = DIFFERS
        if check is not None and checks.get(name) is False and check < len(marks2):
            marks2[check] = DECISIVE
    marks1 = [""] * len(line1 or "")
    if any((fields.get(n) or {}).get("differs") for n in ("surname", "given_names")):
        for i in range(5, len(marks1)):
            marks1[i] = DIFFERS
    for finding in findings or []:
        if finding in FORM_SPANS:
            line, start, end = FORM_SPANS[finding]
            marks = marks1 if line == 0 else marks2
            for i in range(start, min(end, len(marks))):
                marks[i] = DECISIVE
    lines = [
        [{"char": char, "mark": m} for char, m in zip(line, marks, strict=True)]
        for line, marks in ((line1 or "", marks1), (line2 or "", marks2))
        if line
    ]
    compared = [
        {
            "label": t.get(name, name),
            "typed": _text(value.get("typed")),
            "mrz": _text(value.get("mrz")),
            "mark": DIFFERS if value.get("differs") else "",
        }
        for name, value in fields.items()
        if isinstance(value, dict)
    ]
    failing = [t.get(name, name) for name, ok in checks.items() if ok is False]
    if not lines and not compared:
        return None
    return {"lines": lines, "fields": compared, "failing_checks": failing}


def _concurrent_stay(evidence: dict[str, Any], language: str, mark: Marker) -> tuple[list[Fact], dict[str, Any]]:
    t = words(language)
    stay, other = evidence.get("stay") or {}, evidence.get("other_stay") or {}
    for s in (stay, other):
        mark("place", s.get("report_id"), DECISIVE)
        mark("dates", s.get("report_id"), DECISIVE)
    return [
        _fact(t["lodging_one"], f"{stay.get('lodging_name', '')} · {region_name(stay.get('region_code'))}", DECISIVE),
        _fact(t["lodging_two"], f"{other.get('lodging_name', '')} · {region_name(other.get('region_code'))}", DECISIVE),
        _fact(t["shared_nights"], _nights(evidence, t), DECISIVE),
    ], {}


FACTS: dict[RuleCode, Callable[[dict[str, Any], str, Marker], tuple[list[Fact], dict[str, Any]]]] = {
    RuleCode.NO_VALID_PERMIT: _no_valid_permit,
    RuleCode.OVERSTAY: _overstay,
    RuleCode.IDENTITY_MISMATCH: _identity_mismatch,
    RuleCode.PURPOSE_MISMATCH: _purpose_mismatch,
    RuleCode.REGION_MISMATCH: _region_mismatch,
    RuleCode.LATE_REPORT: _late_report,
    RuleCode.DOCUMENT_INVALID: _document_invalid,
    RuleCode.CONCURRENT_STAY: _concurrent_stay,
}
