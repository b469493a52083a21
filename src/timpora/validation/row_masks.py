"""Which rows an expectation finds unexpected, computed as one vectorised mask.

GX's ``COMPLETE`` result format lists unexpected row indices but is an order of magnitude
slower than ``BASIC`` on large batches. We run GX with ``BASIC`` (GX decides which
expectations fail and how many rows each) and compute the failing rows ourselves, only
for expectations GX reported unexpected rows for, from the same expectation
configuration (type and kwargs, with GX's null-handling and row-condition semantics).
Every mask is checked against GX's ``unexpected_count``: if the two ever disagree the
batch fails loudly, so the suite JSON stays the single source of the rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from dateutil.parser import parse as parse_datetime


class UnsupportedExpectation(LookupError):
    """No vectorised mask for this expectation type; GX ``COMPLETE`` is used instead."""


def resolve_parameters(kwargs: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Replace ``{"$PARAMETER": name}`` values, as GX does at validation time."""
    resolved: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            resolved[key] = parameters[value["$PARAMETER"]]
        else:
            resolved[key] = value
    return resolved


def condition_domain(frame: pd.DataFrame, kwargs: Mapping[str, Any]) -> np.ndarray:
    """Rows an expectation applies to, after its ``row_condition`` (pandas query syntax)."""
    condition = kwargs.get("row_condition")
    if not condition:
        return np.ones(len(frame), dtype=bool)
    if isinstance(condition, dict):
        if condition.get("type") != "pass_through":
            raise UnsupportedExpectation(f"row_condition of type {condition.get('type')!r}")
        condition = condition["pass_through_filter"]
    selected = frame.query(condition).index
    return np.asarray(frame.index.isin(selected), dtype=bool)


def _bound(value: Any, series: pd.Series) -> Any:
    if value is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(series.dtype) and isinstance(value, str):
        return pd.Timestamp(parse_datetime(value))
    return value


def unexpected_mask(frame: pd.DataFrame, expectation_type: str, kwargs: Mapping[str, Any]) -> np.ndarray:
    """Boolean mask of the rows ``expectation_type`` with ``kwargs`` counts as unexpected."""
    domain = condition_domain(frame, kwargs)
    if expectation_type.startswith("expect_column_pair_"):
        return domain & _pair_mask(frame, expectation_type, kwargs)
    column = frame[kwargs["column"]]
    present = column.notna().to_numpy()
    if expectation_type == "expect_column_values_to_not_be_null":
        return domain & ~present
    if expectation_type == "expect_column_values_to_be_null":
        return domain & present
    considered = domain & present
    values = column[considered]
    if expectation_type == "expect_column_values_to_match_regex":
        ok = _matches(values, kwargs["regex"])
    elif expectation_type == "expect_column_values_to_not_match_regex":
        ok = ~_matches(values, kwargs["regex"])
    elif expectation_type == "expect_column_values_to_be_in_set":
        ok = values.isin(list(kwargs["value_set"]))
    elif expectation_type == "expect_column_values_to_not_be_in_set":
        ok = ~values.isin(list(kwargs["value_set"]))
    elif expectation_type == "expect_column_values_to_be_between":
        ok = _between(
            values,
            _bound(kwargs.get("min_value"), column),
            _bound(kwargs.get("max_value"), column),
            bool(kwargs.get("strict_min")),
            bool(kwargs.get("strict_max")),
        )
    elif expectation_type == "expect_column_value_lengths_to_be_between":
        ok = _between(
            values.astype(str).str.len(),
            kwargs.get("min_value"),
            kwargs.get("max_value"),
            bool(kwargs.get("strict_min")),
            bool(kwargs.get("strict_max")),
        )
    else:
        raise UnsupportedExpectation(expectation_type)
    mask = np.zeros(len(frame), dtype=bool)
    mask[np.flatnonzero(considered)] = ~np.asarray(ok, dtype=bool)
    return mask


def _matches(values: pd.Series, regex: str) -> np.ndarray:
    """GX's ``str(value)`` + ``re.search`` semantics, run once per distinct value.

    Feed columns repeat values (region codes, names, event types), so matching the
    factorized distinct values and mapping back is several times faster than per row.
    """
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    search = re.compile(regex).search
    hits = np.fromiter((search(str(value)) is not None for value in distinct), dtype=bool, count=len(distinct))
    return hits[codes]


def _between(values: pd.Series, low: Any, high: Any, strict_low: bool, strict_high: bool) -> pd.Series:
    ok = pd.Series(True, index=values.index)
    if low is not None:
        ok &= (values > low) if strict_low else (values >= low)
    if high is not None:
        ok &= (values < high) if strict_high else (values <= high)
    return ok


def _pair_mask(frame: pd.DataFrame, expectation_type: str, kwargs: Mapping[str, Any]) -> np.ndarray:
    first, second = frame[kwargs["column_A"]], frame[kwargs["column_B"]]
    ignore = kwargs.get("ignore_row_if", "both_values_are_missing")
    if ignore == "either_value_is_missing":
        skipped = first.isna() | second.isna()
    elif ignore == "both_values_are_missing":
        skipped = first.isna() & second.isna()
    else:
        skipped = pd.Series(False, index=frame.index)
    if expectation_type == "expect_column_pair_values_a_to_be_greater_than_b":
        ok = (first >= second) if kwargs.get("or_equal") else (first > second)
    elif expectation_type == "expect_column_pair_values_to_be_equal":
        ok = first == second
    else:
        raise UnsupportedExpectation(expectation_type)
    return np.asarray(~skipped & ~ok.fillna(False).astype(bool), dtype=bool)
