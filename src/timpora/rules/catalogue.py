"""The mismatch rules: each is a SQL file that selects its cases over the reconcile scope,
and a describer that turns those rows into flag candidates (reason in Bahasa Indonesia
and English, structured evidence, identity, priority) with column-wise operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from timpora.feeds.normalise import TEXT
from timpora.matching.identity import nested_comparison
from timpora.rules import document, purpose
from timpora.rules import text as tx
from timpora.rules.config import DeclaredActivity, RuleCode, RulesConfig
from timpora.warehouse.db import key_pages, query_frames, query_sql, sql_statements

CANDIDATE_COLUMNS = [
    "flag_id",
    "rule_code",
    "subject_key",
    "person_key",
    "severity",
    "priority",
    "passport_number",
    "nationality",
    "report_ids",
    "lodging_id",
    "region_code",
    "province_code",
    "first_night",
    "last_night",
    "night_count",
    "reason_id",
    "reason_en",
    "evidence",
    "evidence_hash",
    "material_hash",
    "rule_version",
]
# Evidence under this key changes as an open stay grows (nights); the rest is material.
VOLATILE_EVIDENCE = "nights"


@dataclass(frozen=True)
class RuleContext:
    """What every rule evaluation may use besides the warehouse."""

    as_of: date
    config: RulesConfig
    run_id: str


@dataclass(frozen=True)
class Rule:
    """One rule: the SQL that selects its cases, an optional column-wise ``refine`` step for
    what SQL cannot judge (free text, MRZ check digits), and the describer of its flags.
    ``prepare`` reads what the SQL's parameters depend on in the warehouse itself.

    Cases are described a page at a time (see :meth:`evaluate_pages`). A ``refine`` that
    folds several rows into one case (a stay's documents, a run's stays) names the column
    that holds a case's rows together in ``group_key``; the SQL orders its rows by it, and
    a page never splits them."""

    code: RuleCode
    sql: str
    describe: Callable[[pd.DataFrame, RuleContext], dict[str, Any]]
    parameters: Callable[[RuleContext], dict[str, Any]] = lambda ctx: {}
    refine: Callable[[pd.DataFrame, RuleContext], pd.DataFrame] | None = None
    prepare: Callable[[Connection, RuleContext], dict[str, Any]] | None = None
    group_key: str | None = None

    def evaluate_pages(self, conn: Connection, ctx: RuleContext, page_rows: int) -> Iterator[pd.DataFrame]:
        """The rule's flag candidates over the scope, one frame per page of about
        ``page_rows`` of its SQL's rows: memory holds one page, however many cases a run
        finds (a first full reconcile over a year of lodging history may find millions).
        The connection may write between pages."""
        parameters = {"as_of": ctx.as_of, **self.parameters(ctx)}
        if self.prepare is not None:
            parameters |= self.prepare(conn, ctx)
        chunks = query_frames(conn, self.sql, parameters, chunk_rows=page_rows)
        for cases in key_pages(chunks, self.group_key, f"rule {self.code.value}"):
            if self.refine is not None:
                cases = self.refine(cases, ctx)
            if not cases.empty:
                cases = cases.reset_index(drop=True)
                yield candidates(self.code, cases, self.describe(cases, ctx), ctx)

    def reads_identity_links(self, dialect: str) -> bool:
        """Whether its cases depend on the run's identity links: its SQL reads them.

        Read off the statements themselves (comments stripped), so a rule changed to read
        the links cannot go on being judged before they are written.
        """
        return any("identity_link" in statement for statement in sql_statements(self.sql, dialect))


def priority(
    severity: pd.Series,
    region_code: pd.Series,
    first_night: pd.Series,
    last_night: pd.Series,
    as_of: date,
    config: RulesConfig,
) -> pd.Series:
    """Severity points + monitoring-window boost + age points (days since the first night)."""
    points = severity.map({k.value: v for k, v in config.priority.severity_points.items()}).astype("int64")
    first = tx.as_datetime(first_night)
    last = tx.as_datetime(last_night).fillna(first)
    for window in config.monitoring_windows:
        in_region = pd.Series(False, index=region_code.index)
        for prefix in window.region_prefixes:
            codes = region_code.astype(TEXT)
            in_region |= (codes == prefix) | codes.str.startswith(prefix + ".")
        overlaps = (first <= pd.Timestamp(window.date_until)) & (last >= pd.Timestamp(window.date_from))
        points = points + np.where(in_region.fillna(False) & overlaps.fillna(False), window.priority_boost, 0)
    age_days = (pd.Timestamp(as_of) - first).dt.days.fillna(0).clip(lower=0)
    age = (age_days * config.priority.age_points_per_day).clip(upper=config.priority.age_points_max)
    return (points + age).astype("int64")


def candidates(code: RuleCode, cases: pd.DataFrame, described: dict[str, Any], ctx: RuleContext) -> pd.DataFrame:
    """Standard candidate rows from a rule's cases and its description of them."""
    n = len(cases)
    severity = pd.Series(ctx.config.severity(code).value, index=cases.index)
    frame = pd.DataFrame(index=cases.index)
    frame["rule_code"] = code.value
    frame["subject_key"] = described["subject_key"]
    frame["person_key"] = cases["person_key"]
    frame["severity"] = severity
    frame["passport_number"] = cases["passport_number"]
    frame["nationality"] = cases["nationality"]
    frame["report_ids"] = [json.dumps(ids) for ids in described["report_ids"]]
    frame["lodging_id"] = cases.get("lodging_id")
    frame["region_code"] = cases["region_code"]
    frame["province_code"] = cases["province_code"]
    frame["first_night"] = tx.as_datetime(cases["first_night"]) if "first_night" in cases else pd.NaT
    frame["last_night"] = tx.as_datetime(cases["last_night"]) if "last_night" in cases else pd.NaT
    frame["night_count"] = cases["night_count"].astype("Int64") if "night_count" in cases else pd.NA
    frame["reason_id"] = described["reason_id"]
    frame["reason_en"] = described["reason_en"]
    frame["evidence"] = tx.evidence_json(described["evidence"], n)
    frame["evidence_hash"] = tx.content_hash(frame["evidence"].tolist())
    material = {key: value for key, value in described["evidence"].items() if key != VOLATILE_EVIDENCE}
    frame["material_hash"] = tx.content_hash(tx.evidence_json(material, n))
    frame["rule_version"] = ctx.config.version
    frame["priority"] = priority(
        severity, frame["region_code"], frame["first_night"], frame["last_night"], ctx.as_of, ctx.config
    )
    frame["flag_id"] = tx.stable_id("F", [frame["rule_code"], frame["subject_key"]])
    return frame[CANDIDATE_COLUMNS].reset_index(drop=True)


# --- shared pieces of descriptions --------------------------------------------------------


def _stay_evidence(cases: pd.DataFrame, prefix: str = "") -> dict[str, Any]:
    """The lodging report as the flag shows it."""
    return {
        "report_id": cases[f"{prefix}report_id"] if f"{prefix}report_id" in cases else cases["report_id"],
        "lodging_id": cases[f"{prefix}lodging_id"],
        "lodging_name": cases[f"{prefix}lodging_name"],
        "region_code": cases[f"{prefix}region_code"],
        "region_name": cases[f"{prefix}region_name"],
        "guest_surname": cases[f"{prefix}guest_surname"],
        "guest_given_names": cases[f"{prefix}guest_given_names"],
        "passport_number_as_typed": cases[f"{prefix}passport_number_raw"],
        "check_in_local": tx.iso_time(cases[f"{prefix}check_in_local"]),
        "check_out_local": tx.iso_time(cases[f"{prefix}check_out_local"]),
    }


def _guest_evidence(cases: pd.DataFrame) -> dict[str, Any]:
    return {
        **_stay_evidence(cases),
        "date_of_birth": tx.iso_date(cases["date_of_birth"]),
        "sex": cases["sex"],
        "nationality": cases["nationality"],
        "passport_number": cases["passport_number"],
    }


def _nights_evidence(cases: pd.DataFrame) -> dict[str, Any]:
    return {
        "first": tx.iso_date(cases["first_night"]),
        "last": tx.iso_date(cases["last_night"]),
        "count": cases.get("night_count"),
    }


def _nights_phrase(cases: pd.DataFrame, language: str) -> pd.Series:
    """``3 malam (30 Sep 2024 s.d. 2 Okt 2024)``, or ``1 malam (3 Okt 2024)`` for a single night."""
    count = cases["night_count"].astype("Int64").astype(TEXT)
    first, last = tx.day_text(cases["first_night"], language), tx.day_text(cases["last_night"], language)
    single = first == last
    if language == "id":
        span = ("(" + first + " s.d. " + last + ")").where(~single, "(" + first + ")")
        return count + " malam " + span
    span = ("(" + first + " to " + last + ")").where(~single, "(" + first + ")")
    return count + " night(s) " + span


def _who(cases: pd.DataFrame, language: str) -> pd.Series:
    name = tx.person_name(cases["guest_surname"], cases["guest_given_names"])
    word = ("Tamu ", " (paspor ") if language == "id" else ("Guest ", " (passport ")
    return word[0] + name + word[1] + tx.text(cases["passport_number"]) + ", " + tx.text(cases["nationality"]) + ")"


def _where(cases: pd.DataFrame, prefix: str = "") -> pd.Series:
    return tx.text(cases[f"{prefix}lodging_name"]) + ", " + tx.text(cases[f"{prefix}region_name"])


def _person_stay(cases: pd.DataFrame) -> pd.Series:
    return tx.text(cases["person_key"]) + "|" + tx.text(cases["report_id"])


def _single_report(cases: pd.DataFrame) -> list[list[str]]:
    return [[rid] for rid in cases["report_id"].tolist()]


# --- NO_VALID_PERMIT ------------------------------------------------------------------------


def describe_no_valid_permit(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    visas = cases["visas_on_passport"].astype("int64")
    visa_id = pd.Series(np.where(visas > 0, " (visa ada, izin tinggal tidak)", ""), index=cases.index)
    visa_en = pd.Series(np.where(visas > 0, " (a visa exists, no stay permit)", ""), index=cases.index)
    return {
        "subject_key": _person_stay(cases),
        "report_ids": _single_report(cases),
        "reason_id": _who(cases, "id")
        + " menginap di "
        + _where(cases)
        + " selama "
        + _nights_phrase(cases, "id")
        + " tanpa izin tinggal: tidak ada izin tinggal yang pernah terbit untuk paspor ini"
        + visa_id
        + ".",
        "reason_en": _who(cases, "en")
        + " stayed at "
        + _where(cases)
        + " for "
        + _nights_phrase(cases, "en")
        + " without a stay permit: no permit was ever issued on this passport"
        + visa_en
        + ".",
        "evidence": {
            "stay": _guest_evidence(cases),
            "nights": _nights_evidence(cases),
            "permits_on_passport": 0,
            "visas_on_passport": visas,
            "disagreements": ["no_stay_permit"],
        },
    }


# --- OVERSTAY -------------------------------------------------------------------------------


def describe_overstay(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    status = tx.text(cases["permit_status"])
    ended_id = pd.Series(
        np.select(
            [status == "CANCELLED", status == "REVOKED"],
            [
                "dibatalkan pada " + tx.day_text(cases["permit_updated_at"], "id"),
                "dicabut pada " + tx.day_text(cases["permit_updated_at"], "id"),
            ],
            "berakhir pada " + tx.day_text(cases["permit_valid_until"], "id"),
        ),
        index=cases.index,
    )
    ended_en = pd.Series(
        np.select(
            [status == "CANCELLED", status == "REVOKED"],
            [
                "was cancelled on " + tx.day_text(cases["permit_updated_at"], "en"),
                "was revoked on " + tx.day_text(cases["permit_updated_at"], "en"),
            ],
            "ended on " + tx.day_text(cases["permit_valid_until"], "en"),
        ),
        index=cases.index,
    )
    permit = tx.text(cases["permit_number"]) + " (" + tx.text(cases["permit_type"]) + ")"
    return {
        "subject_key": _person_stay(cases),
        "report_ids": _single_report(cases),
        "reason_id": _who(cases, "id")
        + " menginap di "
        + _where(cases)
        + " selama "
        + _nights_phrase(cases, "id")
        + " setelah izin tinggal "
        + permit
        + " "
        + ended_id
        + ".",
        "reason_en": _who(cases, "en")
        + " stayed at "
        + _where(cases)
        + " for "
        + _nights_phrase(cases, "en")
        + " after stay permit "
        + permit
        + " "
        + ended_en
        + ".",
        "evidence": {
            "stay": _guest_evidence(cases),
            "nights": _nights_evidence(cases),
            "permit": {
                "permit_number": cases["permit_number"],
                "permit_type": cases["permit_type"],
                "status": cases["permit_status"],
                "record_version": cases["permit_version"],
                "activity": cases["permit_activity"],
                "valid_from": tx.iso_date(cases["permit_valid_from"]),
                "valid_until": tx.iso_date(cases["permit_valid_until"]),
                "status_recorded_at": tx.iso_time(cases["permit_updated_at"]),
                "office_code": cases["permit_office_code"],
            },
            "disagreements": pd.Series(
                np.where(status == "ACTIVE", "permit_expired", "permit_" + status.str.lower()), index=cases.index
            ).str.split(),
        },
    }


# --- IDENTITY_MISMATCH ----------------------------------------------------------------------

_FIELD_LABELS = {
    "name": ("nama", "name"),
    "date_of_birth": ("tanggal lahir", "date of birth"),
    "sex": ("jenis kelamin", "sex"),
    "nationality": ("kewarganegaraan", "nationality"),
}


def refine_identity(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """One row per stay, with its mismatched documents and the fields that disagree."""
    flags = {field: cases[f"{field}_verdict"] == "DIFFERENT" for field in _FIELD_LABELS}
    cases = cases.assign(
        document=tx.text(cases["document_kind"]) + " " + tx.text(cases["document_number"]),
        **{f"{field}_differs": hit for field, hit in flags.items()},
    )
    stay_columns = [c for c in cases.columns if c not in _LINK_COLUMNS and not c.endswith("_differs")]
    grouped = cases.groupby("report_id", sort=True)
    stays = grouped[stay_columns].first().reset_index(drop=True)
    stays["documents"] = grouped["document"].agg(list).to_numpy()
    # The comparisons are stored JSON; a flag shows them as structured data, parsed once each.
    stays["comparisons"] = grouped["comparison"].agg(lambda docs: [nested_comparison(d) for d in docs]).to_numpy()
    stays["kinds"] = grouped["document_kind"].agg(list).to_numpy()
    stays["numbers"] = grouped["document_number"].agg(list).to_numpy()
    differs = grouped[[f"{field}_differs" for field in _FIELD_LABELS]].any()
    joined = pd.Series("", index=differs.index, dtype=TEXT)
    for field in _FIELD_LABELS:
        joined = joined + np.where(differs[f"{field}_differs"], field + " ", "")
    stays["disagreeing_fields"] = joined.str.split().to_numpy()
    stays["best_score"] = grouped["score"].max().to_numpy()
    return stays


_LINK_COLUMNS = {
    "document_kind",
    "document_number",
    "name_verdict",
    "date_of_birth_verdict",
    "sex_verdict",
    "nationality_verdict",
    "score",
    "comparison",
    "document",
}


def _field_phrase(fields: pd.Series, language: str) -> pd.Series:
    position = 0 if language == "id" else 1
    text = pd.Series("", index=fields.index, dtype=TEXT)
    for field, labels in _FIELD_LABELS.items():
        hit = fields.str.join(" ").str.contains(rf"\b{field}\b").to_numpy(dtype=bool)
        text = text + np.where(hit, labels[position] + ", ", "")
    return text.str.removesuffix(", ")


def describe_identity_mismatch(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    listed = cases["documents"].str.join(", ")
    documents = listed.str.replace("PERMIT ", "izin tinggal ").str.replace("VISA ", "visa ")
    documents_en = listed.str.replace("PERMIT ", "stay permit ").str.replace("VISA ", "visa ")
    return {
        "subject_key": _person_stay(cases),
        "report_ids": _single_report(cases),
        "reason_id": _who(cases, "id")
        + " di "
        + _where(cases)
        + ": nomor paspor cocok dengan "
        + documents
        + ", tetapi "
        + _field_phrase(cases["disagreeing_fields"], "id")
        + " berbeda melebihi salah ketik; tamu mungkin bukan pemegang dokumen itu.",
        "reason_en": _who(cases, "en")
        + " at "
        + _where(cases)
        + ": the passport number matches "
        + documents_en
        + ", but the "
        + _field_phrase(cases["disagreeing_fields"], "en")
        + " disagree beyond typing noise; the guest may not be the document holder.",
        "evidence": {
            "stay": _guest_evidence(cases),
            "nights": _nights_evidence(cases),
            "documents": {
                "kinds": cases["kinds"],
                "numbers": cases["numbers"],
                "comparisons": cases["comparisons"],
            },
            "best_score": cases["best_score"],
            "disagreements": cases["disagreeing_fields"],
        },
    }


# --- PURPOSE_MISMATCH -----------------------------------------------------------------------


# Declaring texts listed in the query at most; past that the query returns every stay and
# the lexicon reads them all, as it would without the list (SQLite binds each listed text as
# a variable, and allows 32,766 of them).
PURPOSE_TEXTS_LISTED_AT_MOST = 10_000


def purpose_parameters(conn: Connection, ctx: RuleContext) -> dict[str, Any]:
    """Which stays can disagree with their documents: the scope's declared texts in which the
    lexicon finds an activity, and the sponsor types that imply one. On the bench's national
    day three stays in four declare nothing, and fetching and reading them was a fifth of
    the rule's time."""
    texts = [row[0] for row in query_sql(conn, "rules/purpose_declared_texts")]
    declaring = purpose.declaring_texts(texts, ctx.config.purpose)
    every_text = len(declaring) > PURPOSE_TEXTS_LISTED_AT_MOST
    return {
        "every_text": int(every_text),
        "declaring_texts": [] if every_text else declaring,
        "implying_sponsor_types": sorted(ctx.config.purpose.sponsor_types),
    }


def refine_purpose(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    assessed = purpose.assess(cases, ctx.config.purpose)
    joined = pd.concat([cases, assessed], axis=1)
    return joined[joined["mismatch"]]


def describe_purpose_mismatch(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    permit = tx.text(cases["permit_number"]) + " (" + tx.text(cases["permit_type"]) + ", "
    permit = permit + tx.text(cases["permit_activity"])
    has_visa = cases["visa_number"].notna()
    visa_id = pd.Series(
        np.where(
            has_visa,
            " dan visa " + tx.text(cases["visa_number"]) + " (indeks " + tx.text(cases["visa_index"]) + ")",
            "",
        ),
        index=cases.index,
    )
    visa_en = pd.Series(
        np.where(
            has_visa,
            " and visa " + tx.text(cases["visa_number"]) + " (index " + tx.text(cases["visa_index"]) + ")",
            "",
        ),
        index=cases.index,
    )
    declared = "'" + tx.text(cases["occupation"]) + "' / '" + tx.text(cases["purpose_of_visit"]) + "'"
    activities = {
        activity.value: {
            "declared": cases[f"declares_{activity.value}"],
            "word": cases[f"word_{activity.value}"],
            "by_sponsor": cases[f"sponsored_{activity.value}"],
            "permit_allows": cases[f"permit_allows_{activity.value}"],
            "visa_allows": cases[f"visa_allows_{activity.value}"],
        }
        for activity in DeclaredActivity
    }
    return {
        "subject_key": _person_stay(cases),
        "report_ids": _single_report(cases),
        "reason_id": _who(cases, "id")
        + " di "
        + _where(cases)
        + " menyatakan "
        + declared
        + " ("
        + purpose.disallowed_labels(cases, "id")
        + "), tetapi izin tinggal "
        + permit
        + ")"
        + visa_id
        + " tidak mengizinkan kegiatan itu.",
        "reason_en": _who(cases, "en")
        + " at "
        + _where(cases)
        + " declares "
        + declared
        + " ("
        + purpose.disallowed_labels(cases, "en")
        + "), but stay permit "
        + permit
        + ")"
        + visa_en
        + " does not allow that activity.",
        "evidence": {
            "stay": _guest_evidence(cases),
            "nights": _nights_evidence(cases),
            "declared": {
                "occupation": cases["occupation"],
                "purpose_of_visit": cases["purpose_of_visit"],
                "matched_words": cases["matched_words"],
                "activities": cases["declared_activities"],
            },
            "permit": {
                "permit_number": cases["permit_number"],
                "permit_type": cases["permit_type"],
                "status": cases["permit_status"],
                "activity": cases["permit_activity"],
                "sponsor_name": cases["permit_sponsor_name"],
                "sponsor_type": cases["permit_sponsor_type"],
            },
            "visa": {
                "visa_number": cases["visa_number"],
                "visa_index": cases["visa_index"],
                "catalogue_edition": cases["visa_edition"],
                "issued_at": tx.iso_time(cases["visa_issued_at"]),
                "purpose": cases["visa_purpose"],
                "sponsor_type": cases["visa_sponsor_type"],
            },
            "assessment": activities,
            "disagreements": cases["disallowed_activities"],
        },
    }


# --- REGION_MISMATCH ------------------------------------------------------------------------


def refine_region(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """One row per run (keyed by the stay of its first night), with every stay of the run."""
    grouped = cases.groupby("report_id", sort=True)
    runs = grouped.first().reset_index()
    runs["run_report_ids"] = grouped["run_report_id"].agg(lambda ids: sorted(set(ids))).to_numpy()
    return runs


def describe_region_mismatch(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    limit = str(ctx.config.thresholds.region_mismatch_nights)
    home_id = tx.text(cases["permit_region_name"]) + " (provinsi " + tx.text(cases["permit_province_name"]) + ")"
    home_en = tx.text(cases["permit_region_name"]) + " (province " + tx.text(cases["permit_province_name"]) + ")"
    holder = tx.text(cases["permit_type"]) + " " + tx.text(cases["permit_number"])
    return {
        "subject_key": _person_stay(cases),
        "report_ids": cases["run_report_ids"].tolist(),
        "reason_id": _who(cases, "id")
        + ", pemegang "
        + holder
        + " beralamat di "
        + home_id
        + ", menginap di luar provinsi itu "
        + _nights_phrase(cases, "id")
        + " berturut-turut, mulai di "
        + _where(cases)
        + "; lebih dari "
        + limit
        + " malam: kemungkinan pindah alamat tanpa lapor.",
        "reason_en": _who(cases, "en")
        + ", holder of "
        + holder
        + " registered at "
        + home_en
        + ", lodged outside that province for "
        + _nights_phrase(cases, "en")
        + " in a row, starting at "
        + _where(cases)
        + "; more than "
        + limit
        + " nights: a likely unreported change of address.",
        "evidence": {
            "stay": _guest_evidence(cases),
            "nights": _nights_evidence(cases),
            "run_report_ids": cases["run_report_ids"],
            "permit": {
                "permit_number": cases["permit_number"],
                "permit_type": cases["permit_type"],
                "region_code": cases["permit_region_code"],
                "region_name": cases["permit_region_name"],
                "province_code": cases["permit_province_code"],
                "address": cases["permit_address"],
                "valid_from": tx.iso_date(cases["permit_valid_from"]),
                "valid_until": tx.iso_date(cases["permit_valid_until"]),
            },
            "lodging_province_code": cases["province_code"],
            "threshold_nights": ctx.config.thresholds.region_mismatch_nights,
            "disagreements": ["province"],
        },
    }


# --- CONCURRENT_STAY ------------------------------------------------------------------------


def describe_concurrent_stay(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    other = tx.text(cases["other_lodging_name"]) + ", " + tx.text(cases["other_region_name"])
    return {
        "subject_key": _person_stay(cases) + "|" + tx.text(cases["other_report_id"]),
        "report_ids": [list(pair) for pair in zip(cases["report_id"], cases["other_report_id"], strict=True)],
        "reason_id": _who(cases, "id")
        + " tercatat menginap di dua tempat pada malam yang sama, "
        + _nights_phrase(cases, "id")
        + ": "
        + _where(cases)
        + " dan "
        + other
        + ".",
        "reason_en": _who(cases, "en")
        + " is checked in at two lodgings over the same night(s), "
        + _nights_phrase(cases, "en")
        + ": "
        + _where(cases)
        + " and "
        + other
        + ".",
        "evidence": {
            "stay": _guest_evidence(cases),
            "other_stay": {
                "report_id": cases["other_report_id"],
                "lodging_id": cases["other_lodging_id"],
                "lodging_name": cases["other_lodging_name"],
                "region_code": cases["other_region_code"],
                "region_name": cases["other_region_name"],
                "guest_surname": cases["other_guest_surname"],
                "guest_given_names": cases["other_guest_given_names"],
                "passport_number_as_typed": cases["other_passport_number_raw"],
                "check_in_local": tx.iso_time(cases["other_check_in_local"]),
                "check_out_local": tx.iso_time(cases["other_check_out_local"]),
            },
            "nights": _nights_evidence(cases),
            "disagreements": ["region_code"],
        },
    }


# --- LATE_REPORT ----------------------------------------------------------------------------


def describe_late_report(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    hours = (cases["delay_seconds"].astype("int64") / 3600).round(1)
    limit = str(ctx.config.thresholds.late_report_hours)
    hours_id = hours.map("{:.1f}".format).str.replace(".", ",", regex=False)
    hours_en = hours.map("{:.1f}".format)
    return {
        "subject_key": _person_stay(cases),
        "report_ids": _single_report(cases),
        "reason_id": tx.text(cases["lodging_name"])
        + " ("
        + tx.text(cases["region_name"])
        + ") melaporkan check-in "
        + _who(cases, "id").str.replace("Tamu ", "tamu ", n=1)
        + " pada "
        + tx.time_text(cases["check_in_reported_local"], "id")
        + ", "
        + hours_id
        + " jam setelah check-in ("
        + tx.time_text(cases["check_in_local"], "id")
        + "); batasnya "
        + limit
        + " jam (UU 6/2011 Pasal 72).",
        "reason_en": tx.text(cases["lodging_name"])
        + " ("
        + tx.text(cases["region_name"])
        + ") reported the check-in of "
        + _who(cases, "en").str.replace("Guest ", "guest ", n=1)
        + " on "
        + tx.time_text(cases["check_in_reported_local"], "en")
        + ", "
        + hours_en
        + " hours after the check-in ("
        + tx.time_text(cases["check_in_local"], "en")
        + "); the limit is "
        + limit
        + " hours (Law 6/2011 art. 72).",
        "evidence": {
            "stay": _guest_evidence(cases),
            "check_in_local": tx.iso_time(cases["check_in_local"]),
            "reported_local": tx.iso_time(cases["check_in_reported_local"]),
            "delay_hours": hours,
            "threshold_hours": ctx.config.thresholds.late_report_hours,
            "disagreements": ["report_time"],
        },
    }


# --- DOCUMENT_INVALID -----------------------------------------------------------------------


def refine_document(cases: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    findings = document.document_findings(cases, ctx.config.linking)
    codes, reason_id, reason_en = document.finding_lists(findings)
    joined = pd.concat([cases, findings], axis=1)
    joined["findings"] = codes
    joined["findings_id"] = reason_id
    joined["findings_en"] = reason_en
    return joined[codes.map(len).to_numpy() > 0]


def describe_document_invalid(cases: pd.DataFrame, ctx: RuleContext) -> dict[str, Any]:
    def compared(field: str, typed: pd.Series, differs: str) -> dict[str, Any]:
        return {"mrz": cases[f"mrz_{field}"], "typed": typed, "differs": cases[differs]}

    return {
        "subject_key": _person_stay(cases),
        "report_ids": _single_report(cases),
        "reason_id": "Dokumen "
        + _who(cases, "id").str.replace("Tamu ", "tamu ", n=1)
        + " di "
        + _where(cases)
        + " bermasalah: "
        + cases["findings_id"]
        + ".",
        "reason_en": "The document of "
        + _who(cases, "en").str.replace("Guest ", "guest ", n=1)
        + " at "
        + _where(cases)
        + " is invalid: "
        + cases["findings_en"]
        + ".",
        "evidence": {
            "stay": {**_guest_evidence(cases), "passport_expiry": tx.iso_date(cases["passport_expiry"])},
            "mrz": {
                "line1": cases["mrz_line1"],
                "line2": cases["mrz_line2"],
                "check_digits": {name: cases[f"check_{name}"] for name in document._CHECK_FINDING},
                "fields": {
                    "passport_number": compared(
                        "passport_number", cases["passport_number"], "MRZ_PASSPORT_NUMBER_DIFFERS"
                    ),
                    "date_of_birth": compared(
                        "date_of_birth",
                        tx.as_datetime(cases["date_of_birth"]).dt.strftime("%y%m%d").astype(TEXT),
                        "MRZ_DATE_OF_BIRTH_DIFFERS",
                    ),
                    "sex": compared("sex", cases["sex"], "MRZ_SEX_DIFFERS"),
                    "nationality": compared("nationality", cases["nationality"], "MRZ_NATIONALITY_DIFFERS"),
                    "surname": compared("surname", cases["guest_surname"], "MRZ_NAME_DIFFERS"),
                    "given_names": compared("given_names", cases["guest_given_names"], "MRZ_NAME_DIFFERS"),
                    "expiry": {"mrz": cases["mrz_expiry"], "typed": tx.iso_date(cases["passport_expiry"])},
                },
            },
            "findings": cases["findings"],
            "disagreements": cases["findings"],
        },
    }


RULES: dict[RuleCode, Rule] = {
    RuleCode.NO_VALID_PERMIT: Rule(RuleCode.NO_VALID_PERMIT, "rules/no_valid_permit", describe_no_valid_permit),
    RuleCode.OVERSTAY: Rule(RuleCode.OVERSTAY, "rules/overstay", describe_overstay),
    RuleCode.IDENTITY_MISMATCH: Rule(
        RuleCode.IDENTITY_MISMATCH,
        "rules/identity_mismatch",
        describe_identity_mismatch,
        refine=refine_identity,
        group_key="report_id",
    ),
    RuleCode.PURPOSE_MISMATCH: Rule(
        RuleCode.PURPOSE_MISMATCH,
        "rules/purpose_mismatch",
        describe_purpose_mismatch,
        refine=refine_purpose,
        prepare=purpose_parameters,
    ),
    RuleCode.REGION_MISMATCH: Rule(
        RuleCode.REGION_MISMATCH,
        "rules/region_mismatch",
        describe_region_mismatch,
        parameters=lambda ctx: {"region_mismatch_nights": ctx.config.thresholds.region_mismatch_nights},
        refine=refine_region,
        group_key="report_id",
    ),
    RuleCode.CONCURRENT_STAY: Rule(RuleCode.CONCURRENT_STAY, "rules/concurrent_stay", describe_concurrent_stay),
    RuleCode.LATE_REPORT: Rule(
        RuleCode.LATE_REPORT,
        "rules/late_report",
        describe_late_report,
        parameters=lambda ctx: {"late_report_seconds": ctx.config.thresholds.late_report_hours * 3600},
    ),
    RuleCode.DOCUMENT_INVALID: Rule(
        RuleCode.DOCUMENT_INVALID, "rules/document_invalid", describe_document_invalid, refine=refine_document
    ),
}
