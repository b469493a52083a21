"""Name similarity that tolerates what desks and transliteration do to names, column-wise.

Names are compared part by part (surname with surname, given names with given names, and
also crosswise, because desks swap the order of Chinese, Korean and Vietnamese names).
Each part is folded to its MRZ letters (``Müller`` -> ``MUELLER``, spaces, hyphens and
apostrophes dropped) and scored with RapidFuzz's normalised Indel similarity three ways,
the best counting: as written; as a transliteration key (doubled letters merged, and the
spellings that Cyrillic, Arabic and Latin romanisations trade for one another made one:
``X``/``KS``, ``IU``/``YU``, ``OU``/``U``, ``J``/``Y``, ...), which makes ``ALEKSEI`` and
``ALEXEY`` or ``IURII`` and ``YURIY`` one name; and as a consonant skeleton (vowels
dropped), which makes ``MUHAMMAD``, ``MOHAMMED`` and ``MOHAMAD`` one name. A name's
score is the weaker of its two parts, so a shared surname cannot carry a stranger's
given names.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from timpora.documents.mrz import transliterate
from timpora.feeds.normalise import TEXT

# Key and skeleton matches are strong evidence, but not as strong as the same spelling.
KEY_WEIGHT = 0.97
SKELETON_WEIGHT = 0.95
# Romanisation variants, applied in order to both names (after doubled letters merge).
_ROMANISATION = [
    (r"(.)\1+", r"\1"),
    (r"X", "KS"),
    (r"PH", "F"),
    (r"CK", "K"),
    (r"Q", "K"),
    (r"W", "V"),
    (r"J", "Y"),
    (r"OU", "U"),
    (r"^I(?=[AEOU])", "Y"),
    (r"(?<=[AEIOU])I(?=[AEOU])", "Y"),
    (r"I[IY]$", "I"),
    (r"IY", "I"),
    (r"EY", "EI"),
    (r"AY", "AI"),
    (r"(.)\1+", r"\1"),
]
# Skeletons this short (``LI`` -> ``L``) say too little to lean on.
SKELETON_MIN_LENGTH = 3


def fold(values: pd.Series) -> pd.Series:
    """Upper-case MRZ letters only; transliterated once per distinct spelling."""
    text = values.astype(TEXT).fillna("")
    distinct = pd.unique(text)
    folded = {value: transliterate(value).replace("<", "") for value in distinct}
    return text.map(folded).astype(TEXT)


def romanisation_key(folded: pd.Series) -> pd.Series:
    """Variant spellings of one name made one: ``ALEXEY`` -> ``ALEKSEI``, ``IURII`` -> ``YURI``."""
    key = folded
    for pattern, replacement in _ROMANISATION:
        key = key.str.replace(pattern, replacement, regex=True)
    return key


def skeleton(folded: pd.Series) -> pd.Series:
    """Consonants only, runs merged: ``MOHAMMED`` -> ``MHMD``."""
    return folded.str.replace(r"[AEIOUY]", "", regex=True).str.replace(r"(.)\1+", r"\1", regex=True)


def _similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Pairwise normalised Indel similarity in [0, 1]; two empty strings are equal."""
    scores = process.cpdist(left.tolist(), right.tolist(), scorer=fuzz.ratio, workers=1, dtype=np.float32)
    both_empty = ((left == "") & (right == "")).to_numpy()
    return np.where(both_empty, 100.0, scores).astype(np.float64) / 100.0


def _per_distinct(transform: Callable[[pd.Series], pd.Series], *columns: pd.Series) -> list[pd.Series]:
    """Apply a string transform once per distinct value (names repeat across pairs)."""
    distinct = pd.Series(pd.unique(pd.concat(columns, ignore_index=True)), dtype=TEXT)
    mapping = dict(zip(distinct.tolist(), transform(distinct).tolist(), strict=True))
    return [column.map(mapping).astype(TEXT) for column in columns]


def part_similarity(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Similarity of folded name parts: spelling, romanisation key or consonant skeleton."""
    spelled = _similarity(left, right)
    left_key, right_key = _per_distinct(romanisation_key, left, right)
    keyed = _similarity(left_key, right_key) * KEY_WEIGHT
    left_skeleton, right_skeleton = _per_distinct(skeleton, left, right)
    long_enough = (
        (left_skeleton.str.len() >= SKELETON_MIN_LENGTH) & (right_skeleton.str.len() >= SKELETON_MIN_LENGTH)
    ).to_numpy()
    skeletal = np.where(long_enough, _similarity(left_skeleton, right_skeleton) * SKELETON_WEIGHT, 0.0)
    return np.maximum(np.maximum(spelled, keyed), skeletal)


def name_similarity(
    surname: pd.Series, given_names: pd.Series, other_surname: pd.Series, other_given_names: pd.Series
) -> pd.DataFrame:
    """Per pair: ``score`` in [0, 1], ``swapped`` (the orders differ), part scores."""
    sur, giv = fold(surname).reset_index(drop=True), fold(given_names).reset_index(drop=True)
    other_sur, other_giv = fold(other_surname).reset_index(drop=True), fold(other_given_names).reset_index(drop=True)
    # Most pairs spell both parts alike once folded: each part then scores 1.0 directly and
    # nothing crosswise can beat that, so only the others go through the three scorers
    # four times (that was most of linking's time on a national day).
    alike = ((sur == other_sur) & (giv == other_giv)).to_numpy()
    scores = {name: np.ones(len(sur)) for name in ("score", "surname_score", "given_names_score")}
    swapped = np.zeros(len(sur), dtype=bool)
    rest = np.flatnonzero(~alike)
    if len(rest):
        r_sur, r_giv, r_other_sur, r_other_giv = (
            part.iloc[rest].reset_index(drop=True) for part in (sur, giv, other_sur, other_giv)
        )
        direct_surname = part_similarity(r_sur, r_other_sur)
        direct_given = part_similarity(r_giv, r_other_giv)
        crossed_surname = part_similarity(r_sur, r_other_giv)
        crossed_given = part_similarity(r_giv, r_other_sur)
        direct = np.minimum(direct_surname, direct_given)
        crossed = np.minimum(crossed_surname, crossed_given)
        swapped[rest] = crossed > direct
        scores["score"][rest] = np.maximum(direct, crossed)
        scores["surname_score"][rest] = np.where(swapped[rest], crossed_surname, direct_surname)
        scores["given_names_score"][rest] = np.where(swapped[rest], crossed_given, direct_given)
    return pd.DataFrame(
        {
            "score": np.round(scores["score"], 4),
            "swapped": swapped,
            "surname_score": np.round(scores["surname_score"], 4),
            "given_names_score": np.round(scores["given_names_score"], 4),
        },
        index=surname.index,
    )
