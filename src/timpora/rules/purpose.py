"""PURPOSE_MISMATCH, column-wise: what a guest declares against what their documents allow.

The guest's occupation and purpose of visit are read for the configured lexicon (one
regular expression per declared activity, Indonesian and English words), and the permit's
and visa's sponsor types add activities of their own (a MEDIA sponsor means journalism).
Each declared activity must be allowed by the stay permit's activity and, when the permit
came with a visa, by the visa index's permitted activities in the catalogue edition in
force on the visa's issue date. Foreign NGO staff hold a WORK permit sponsored by the
NGO, so NGO work is allowed by WORK with an NGO sponsor.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from timpora.feeds.normalise import TEXT
from timpora.reference.visa_catalogue import editions
from timpora.rules import text as tx
from timpora.rules.config import DeclaredActivity, PurposeSettings

LABELS: dict[DeclaredActivity, tuple[str, str]] = {
    DeclaredActivity.JOURNALISM: ("jurnalistik", "journalism"),
    DeclaredActivity.FILM: ("pembuatan film", "film-making"),
    DeclaredActivity.NGO: ("kegiatan LSM", "NGO work"),
    DeclaredActivity.RESEARCH: ("penelitian", "research"),
    DeclaredActivity.WORK: ("bekerja", "employment"),
}


def catalogue_activities() -> pd.DataFrame:
    """(edition, visa_index, activity) rows of the reference catalogue, and edition dates."""
    rows = [
        (edition.edition, pd.Timestamp(edition.in_force_from), code, activity)
        for edition in editions()
        for code, index in edition.indexes.items()
        for activity in sorted(index.activities)
    ]
    return pd.DataFrame(rows, columns=["edition", "in_force_from", "visa_index", "activity"])


def edition_of(issued_at: pd.Series) -> pd.Series:
    """The catalogue edition in force on each issue date (the oldest one before them all)."""
    ordered = editions()
    starts = np.array([np.datetime64(e.in_force_from) for e in ordered], dtype="datetime64[ns]")
    stamps = tx.as_datetime(issued_at).to_numpy(dtype="datetime64[ns]")
    position = np.clip(np.searchsorted(starts, stamps, side="right") - 1, 0, len(ordered) - 1)
    names = np.array([e.edition for e in ordered], dtype=object)
    return pd.Series(np.where(pd.isna(stamps), None, names[position]), index=issued_at.index, dtype=TEXT)


def _bool(values: pd.Series | np.ndarray, index: pd.Index) -> pd.Series:
    """Plain numpy booleans (missing = False): Arrow-backed text yields Arrow booleans."""
    if isinstance(values, pd.Series):
        values = values.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return pd.Series(values, index=index, dtype=bool)


def _allows(activities: pd.Series, sponsor_type: pd.Series, declared: DeclaredActivity) -> pd.Series:
    """Whether a document with this activity (and sponsor) allows the declared activity."""
    if declared is DeclaredActivity.NGO:
        return (activities == "WORK") & (sponsor_type.astype(TEXT).fillna("") == "NGO")
    return activities == declared.value


def declaring_texts(texts: Iterable[str], settings: PurposeSettings) -> list[str]:
    """Those of ``texts`` (occupation, `` | ``, purpose of visit, as :func:`assess` reads a
    stay's) in which the lexicon finds any declared activity."""
    distinct = pd.Series(list(texts), dtype=TEXT)
    said = pd.Series(False, index=distinct.index)
    for activity in DeclaredActivity:
        said |= _bool(distinct.str.extract(settings.pattern(activity), expand=True)[0].notna(), distinct.index)
    return [str(text) for text in distinct[said]]


def assess(cases: pd.DataFrame, settings: PurposeSettings) -> pd.DataFrame:
    """Per stay: declared activities, matched words, and which the documents do not allow."""
    declared_text = (
        cases["occupation"].astype(TEXT).fillna("") + " | " + cases["purpose_of_visit"].astype(TEXT).fillna("")
    )
    has_visa = _bool(cases["visa_number"].astype(TEXT).fillna("") != "", cases.index)
    edition = edition_of(cases["visa_issued_at"]).where(has_visa)
    catalogue = catalogue_activities()
    allowed_keys = set(catalogue["edition"] + "|" + catalogue["visa_index"] + "|" + catalogue["activity"])
    out = pd.DataFrame(index=cases.index)
    out["visa_edition"] = edition
    mismatched = pd.Series("", index=cases.index, dtype=TEXT)
    declared_all = pd.Series("", index=cases.index, dtype=TEXT)
    words = pd.Series("", index=cases.index, dtype=TEXT)
    permit_sponsor = cases["permit_sponsor_type"].astype(TEXT).fillna("")
    # Declared occupations and purposes repeat a lot ("Tourist | holiday"): the lexicon's
    # regular expressions run once per distinct text, not once per stay.
    codes, distinct = pd.factorize(declared_text)
    distinct_text = pd.Series(distinct, dtype=TEXT)
    visa_sponsor = cases["visa_sponsor_type"].astype(TEXT).fillna("")
    for activity in DeclaredActivity:
        # The first group is the whole matched term (terms may hold groups of their own).
        said = distinct_text.str.extract(settings.pattern(activity), expand=True)[0].take(codes).set_axis(cases.index)
        sponsored = pd.Series(False, index=cases.index)
        for sponsor_type, implied in settings.sponsor_types.items():
            if implied is activity:
                sponsored |= _bool((permit_sponsor == sponsor_type) | (visa_sponsor == sponsor_type), cases.index)
        declared = _bool(said.notna(), cases.index) | sponsored
        permit_ok = _bool(
            _allows(cases["permit_activity"].astype(TEXT), cases["permit_sponsor_type"], activity), cases.index
        )
        required = "WORK" if activity is DeclaredActivity.NGO else activity.value
        visa_ok = _bool(
            (edition + "|" + cases["visa_index"].astype(TEXT) + "|" + required).isin(allowed_keys), cases.index
        )
        if activity is DeclaredActivity.NGO:
            visa_ok &= _bool(visa_sponsor == "NGO", cases.index)
        visa_ok |= ~has_visa
        bad = declared & ~(permit_ok & visa_ok)
        out[f"declares_{activity.value}"] = declared
        out[f"permit_allows_{activity.value}"] = permit_ok
        out[f"visa_allows_{activity.value}"] = visa_ok.where(has_visa)
        out[f"word_{activity.value}"] = said
        out[f"sponsored_{activity.value}"] = sponsored
        out[f"disallows_{activity.value}"] = bad
        declared_all = declared_all + np.where(declared, activity.value + " ", "")
        mismatched = mismatched + np.where(bad, activity.value + " ", "")
        words = words + np.where(said.notna(), said.fillna("").str.lower() + " ", "")
    out["declared_activities"] = _word_lists(declared_all)
    out["disallowed_activities"] = _word_lists(mismatched)
    out["matched_words"] = _word_lists(words)
    out["mismatch"] = mismatched != ""
    return out


def _word_lists(text: pd.Series) -> pd.Series:
    """Each row's words as a list; splitting only the rows that have any (most stays declare
    nothing, and splitting every stay's empty text was over a second of a national day)."""
    lists = pd.Series([[] for _ in range(len(text))], index=text.index, dtype=object)
    said = text != ""
    if said.any():
        lists[said] = text[said].str.split()
    return lists


def disallowed_labels(assessed: pd.DataFrame, language: str, source: str = "any") -> pd.Series:
    """``jurnalistik, penelitian``: the disallowed activities in a reviewer's words; with
    ``source`` "words" only those the guest's own words declare, with "sponsor" only those
    the sponsor's type alone implies."""
    text = pd.Series("", index=assessed.index, dtype=TEXT)
    position = 0 if language == "id" else 1
    for activity, labels in LABELS.items():
        hit = assessed[f"disallows_{activity.value}"].to_numpy(dtype=bool)
        said = assessed[f"word_{activity.value}"].notna().to_numpy(dtype=bool)
        if source == "words":
            hit = hit & said
        elif source == "sponsor":
            hit = hit & ~said
        text = text + np.where(hit, labels[position] + ", ", "")
    return text.str.removesuffix(", ")


def finding_sources(cases: pd.DataFrame, language: str) -> pd.Series:
    """Where each disallowed activity came from, in a reviewer's words: the guest's declared
    text (``menyatakan 'Wartawan' / 'liputan' (jurnalistik)``), the sponsor's type
    (``dijamin penjamin bertipe MEDIA (Harian Pagi), artinya jurnalistik``), or both. A reason
    that quoted a manager's 'business meeting' as "(journalism)" misled the reviewer."""
    by_words = disallowed_labels(cases, language, "words")
    by_sponsor = disallowed_labels(cases, language, "sponsor")
    declared = "'" + tx.text(cases["occupation"]) + "' / '" + tx.text(cases["purpose_of_visit"]) + "'"
    permit_sponsor = cases["permit_sponsor_type"].astype(TEXT).fillna("")
    visa_sponsor = cases["visa_sponsor_type"].astype(TEXT).fillna("")
    sponsor_type = pd.Series(
        np.where(~permit_sponsor.isin(["", "NONE"]), permit_sponsor, visa_sponsor), index=cases.index, dtype=TEXT
    )
    sponsor_name = cases["permit_sponsor_name"].astype(TEXT).fillna("")
    named = pd.Series(np.where(sponsor_name != "", " (" + sponsor_name + ")", ""), index=cases.index, dtype=TEXT)
    if language == "id":
        words_part = "menyatakan " + declared + " (" + by_words + ")"
        sponsor_part = "dijamin penjamin bertipe " + sponsor_type + named + ", artinya " + by_sponsor
        joiner = " dan "
    else:
        words_part = "declares " + declared + " (" + by_words + ")"
        sponsor_part = "is sponsored by a " + sponsor_type + " sponsor" + named + ", which means " + by_sponsor
        joiner = " and "
    has_words, has_sponsor = by_words != "", by_sponsor != ""
    both = np.where(has_words & has_sponsor, words_part + joiner + sponsor_part, "")
    return pd.Series(
        np.where(has_words & has_sponsor, both, np.where(has_words, words_part, sponsor_part)),
        index=cases.index,
        dtype=TEXT,
    )
