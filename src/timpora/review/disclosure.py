"""What each role may see of a flag: the one privacy boundary of the review app.

Every record the app shows (a queue row, a flag with its stays, documents, identity links
and history, an export) passes through :func:`disclose` for the acting user before it
leaves :mod:`timpora.review.service`, so pages, API routes, CSV exports and CLI commands
cannot differ.

Reviewers, supervisors and admins work the flags of their region and see the records as
they are. Analysts count and join people, but see nobody: for them the boundary is an
*allowlist*. Only the fields named below survive, passport and document numbers become
keyed pseudonyms (a passport's is the ``person_pseudonym`` of the analyst views, so the
two can be joined), dates of birth keep their year, and a flag's reason is written again
from those fields alone. A field added to the evidence later stays hidden from analysts
until someone decides it may be shown. Names, MRZ lines, passport numbers as typed,
addresses, sponsors' names, declared free text and reviewers' comments and notes never
reach them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pandas as pd

from timpora import privacy
from timpora.feeds.normalise import passport_key
from timpora.reference import regions
from timpora.rules.text import MONTHS

HIDDEN = "(disembunyikan / hidden)"
DOCUMENT_PREFIX = "DOC-"

# A spec says what an analyst keeps of a value: KEEP it, a PSEUDONYM of it (a passport), a
# DOCUMENT pseudonym (a permit or visa number), its YEAR (a date of birth), or, for a
# mapping, the spec of each key kept (keys not named are dropped). EACH applies a spec to
# every value of a mapping whose keys are data (the assessment's activity codes).
KEEP = "keep"
PSEUDONYM = "pseudonym"
DOCUMENT = "document"
YEAR = "year"


class Each:
    def __init__(self, spec: Any) -> None:
        self.spec = spec


_STAY = {
    "report_id": KEEP,
    "lodging_id": KEEP,
    "lodging_name": KEEP,
    "region_code": KEEP,
    "region_name": KEEP,
    "check_in_local": KEEP,
    "check_out_local": KEEP,
    "date_of_birth": YEAR,
    "sex": KEEP,
    "nationality": KEEP,
    "passport_number": PSEUDONYM,
}
_PERMIT = {
    "permit_number": DOCUMENT,
    "permit_type": KEEP,
    "status": KEEP,
    "record_version": KEEP,
    "activity": KEEP,
    "valid_from": KEEP,
    "valid_until": KEEP,
    "status_recorded_at": KEEP,
    "office_code": KEEP,
    "sponsor_type": KEEP,
    "region_code": KEEP,
    "region_name": KEEP,
    "province_code": KEEP,
}
EVIDENCE: dict[str, Any] = {
    "stay": _STAY,
    "other_stay": _STAY,
    "nights": KEEP,
    "permits_on_passport": KEEP,
    "visas_on_passport": KEEP,
    "disagreements": KEEP,
    "findings": KEEP,
    "permit": _PERMIT,
    "documents": {"kinds": KEEP, "numbers": DOCUMENT},
    "best_score": KEEP,
    "declared": {"matched_words": KEEP, "activities": KEEP},
    "visa": {
        "visa_number": DOCUMENT,
        "visa_index": KEEP,
        "catalogue_edition": KEEP,
        "issued_at": KEEP,
        "purpose": KEEP,
        "sponsor_type": KEEP,
    },
    "assessment": Each(KEEP),
    "run_report_ids": KEEP,
    "lodging_province_code": KEEP,
    "threshold_nights": KEEP,
    "check_in_local": KEEP,
    "reported_local": KEEP,
    "delay_hours": KEEP,
    "threshold_hours": KEEP,
    "mrz": {"check_digits": KEEP, "fields": Each({"differs": KEEP})},
}
FLAG: dict[str, Any] = {
    "flag_id": KEEP,
    "rule_code": KEEP,
    "severity": KEEP,
    "priority": KEEP,
    "status": KEEP,
    "disposition": KEEP,
    "passport_number": PSEUDONYM,
    "nationality": KEEP,
    "report_ids": KEEP,
    "lodging_id": KEEP,
    "region_code": KEEP,
    "province_code": KEEP,
    "first_night": KEEP,
    "last_night": KEEP,
    "night_count": KEEP,
    "evidence": EVIDENCE,
    "rule_version": KEEP,
    "raised_at": KEEP,
    "updated_at": KEEP,
    "cleared_at": KEEP,
    "clear_note": KEEP,  # written by the reconcile, never by a person
    "assignee": KEEP,
    "claimed_at": KEEP,
    "closed_at": KEEP,
    "closed_by": KEEP,
    "deadline_at": KEEP,  # the queue's own arithmetic on raised_at and severity
    "overdue": KEEP,
}
STAY_RECORD: dict[str, Any] = {
    "report_id": KEEP,
    "status": KEEP,
    "lodging_id": KEEP,
    "lodging_name": KEEP,
    "lodging_region_code": KEEP,
    "sex": KEEP,
    "date_of_birth": YEAR,
    "nationality": KEEP,
    "passport_number": PSEUDONYM,
    "check_in_local": KEEP,
    "check_out_local": KEEP,
    "check_in_reported_local": KEEP,
}
DOCUMENT_RECORD: dict[str, Any] = {
    "document_kind": KEEP,
    "document_number": DOCUMENT,
    "record_version": KEEP,
    "status": KEEP,
    "kind": KEEP,
    "sex": KEEP,
    "date_of_birth": YEAR,
    "nationality": KEEP,
    "passport_number": PSEUDONYM,
    "activity": KEEP,
    "sponsor_type": KEEP,
    "region_code": KEEP,
    "valid_from": KEEP,
    "valid_until": KEEP,
}
LINK_RECORD: dict[str, Any] = {
    "report_id": KEEP,
    "document_kind": KEEP,
    "document_number": DOCUMENT,
    "name_verdict": KEEP,
    "date_of_birth_verdict": KEEP,
    "sex_verdict": KEEP,
    "nationality_verdict": KEEP,
    "score": KEEP,
    "verdict": KEEP,
}
# The people who write history notes and comments are reviewers: their free text is theirs.
SYSTEM_ACTORS = frozenset({"reconcile", "system"})


def passport_pseudonym(value: Any, key: str | None = None) -> Any:
    """The pseudonym analysts know a passport by: that of its linking key, as in the
    ``person_pseudonym`` of ``analyst_people`` and ``fact_flag``."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return value
    linking = passport_key(pd.Series([str(value)])).iloc[0]
    return privacy.pseudonym(str(linking if isinstance(linking, str) else value), key)


def document_pseudonym(value: Any, key: str | None = None) -> Any:
    """A permit's or visa's number as a keyed pseudonym of its own kind (``DOC-…``)."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return value
    digest = hmac.new(privacy.secret_bytes(key), b"document|" + str(value).encode(), hashlib.sha256).hexdigest()
    return DOCUMENT_PREFIX + digest[:16].upper()


def _year(value: Any) -> Any:
    if value is None or value == "":
        return value
    text = str(value)
    return text[:4] if len(text) >= 4 and text[:4].isdigit() else None


_LEAVES: dict[str, Callable[[Any], Any]] = {
    KEEP: lambda value: value,
    PSEUDONYM: passport_pseudonym,
    DOCUMENT: document_pseudonym,
    YEAR: _year,
}


def allowed(value: Any, spec: Any) -> Any:
    """``value`` reduced to what ``spec`` allows (see the module's specs)."""
    if isinstance(spec, str):
        leaf = _LEAVES[spec]
        if spec != KEEP and isinstance(value, list):
            return [leaf(item) for item in value]
        return leaf(value)
    if isinstance(value, list):
        return [allowed(item, spec) for item in value]
    if not isinstance(value, Mapping):
        # A value where a mapping was expected: nothing of it is known to be safe.
        return None
    if isinstance(spec, Each):
        return {key: allowed(item, spec.spec) for key, item in value.items()}
    return {key: allowed(item, spec[key]) for key, item in value.items() if key in spec}


def analyst_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A history entry as an analyst sees it: who did what when, not what a reviewer wrote."""
    shown = {key: event.get(key) for key in ("at", "kind", "actor")}
    shown["note"] = event.get("note") if event.get("actor") in SYSTEM_ACTORS else None
    return shown


# --- the reason, written again for analysts ------------------------------------------------


def _day(value: Any, language: str) -> str:
    if value in (None, ""):
        return "?"
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return "?"
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"


def analyst_reason(flag: Mapping[str, Any], language: str) -> str:
    """The flag's reason from the fields an analyst may see: the rule, the pseudonym, the
    nationality, the lodging and region, the nights."""
    from timpora.review.i18n import rule_name

    evidence: Mapping[str, Any] = flag.get("evidence") or {}
    stay: Mapping[str, Any] = evidence.get("stay") or {} if isinstance(evidence, Mapping) else {}
    region = regions().get(str(flag.get("region_code") or ""))
    place = ", ".join(
        part for part in (stay.get("lodging_name") or flag.get("lodging_id"), region.name if region else None) if part
    )
    first, last = _day(flag.get("first_night"), language), _day(flag.get("last_night"), language)
    span = first if first == last else f"{first} {'s.d.' if language == 'id' else 'to'} {last}"
    who = f"{flag.get('passport_number') or '?'} ({flag.get('nationality') or '?'})"
    if language == "id":
        return f"{rule_name(str(flag.get('rule_code')), 'id')}: tamu {who} di {place or '?'}, malam {span}."
    return f"{rule_name(str(flag.get('rule_code')), 'en')}: guest {who} at {place or '?'}, night(s) {span}."


def analyst_flag(record: Mapping[str, Any]) -> dict[str, Any]:
    """A flag (a queue row or a whole flag) as an analyst sees it."""
    shown = allowed(dict(record), FLAG)
    if record.get("person_key"):
        # The linking key is what analyst views pseudonymise; the number as stored may
        # differ from it only by O/0 and I/1, which the key folds.
        shown["passport_number"] = privacy.pseudonym(str(record["person_key"]))
    if "reason_id" in record or "reason_en" in record:
        shown["reason_id"] = analyst_reason(shown, "id")
        shown["reason_en"] = analyst_reason(shown, "en")
    return shown
