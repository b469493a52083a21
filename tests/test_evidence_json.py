"""Flag evidence JSON: assembled column-wise, but byte for byte what ``json.dumps`` writes.

Material hashes of flags are taken over this text; if it changed, every closed flag would
look changed and be reopened by the next reconcile.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from timpora.rules import text as tx


def _reference(evidence: dict[str, Any], length: int) -> list[str]:
    """The original per-row implementation: a dict per row, then ``json.dumps``."""
    columns: dict[str, list[Any]] = {}

    def flatten(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                flatten(f"{prefix}{key}.", value)
            else:
                columns[f"{prefix}{key}"] = tx._plain(value, length)

    flatten("", evidence)
    documents = []
    for index in range(length):
        document: dict[str, Any] = {}
        for path, values in columns.items():
            target = document
            *parents, leaf = path.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = values[index]
        documents.append(json.dumps(document, ensure_ascii=False, sort_keys=True))
    return documents


def _evidence(length: int) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    return {
        "zeta": pd.Series(rng.integers(0, 5, length)),
        "a.b": pd.Series(rng.choice(np.array(["Ölaf", "ZHANG 伟", None, 'q"uote\\'], dtype=object), length)),
        "stay": {
            "when": pd.Series(
                pd.to_datetime(
                    rng.choice(np.array(["2024-10-03", None, "2024-01-01 10:00"], dtype=object), length), format="mixed"
                )
            ),
            "ratio": pd.Series(rng.choice([1.5, np.nan, 0.1 + 0.2], length)),
            "late": pd.Series(rng.choice([True, False], length)),
            "nights": pd.Series(pd.array(rng.choice(np.array([1, 2, None], dtype=object), length), dtype="Int64")),
            "constant": {"text": "tetap", "none": None, "day": date(2024, 10, 3)},
        },
        "mixed": pd.Series(rng.choice(np.array([1, 1.0, True, "1"], dtype=object), length), dtype=object),
        "lists": pd.Series([[1, "dua"]] * length, dtype=object),
        "empty": {},
        "code": pd.Series(rng.choice(["x", "y"], length)).astype("string"),
    }


def test_evidence_json_is_byte_identical_to_json_dumps() -> None:
    evidence = _evidence(500)
    documents = tx.evidence_json(evidence, 500)
    assert documents == _reference(evidence, 500)
    assert all(isinstance(json.loads(document), dict) for document in documents)


def test_evidence_json_edge_shapes() -> None:
    assert tx.evidence_json(_evidence(0) | {"zeta": pd.Series([], dtype="int64")}, 0) == []
    assert tx.evidence_json({}, 3) == ["{}"] * 3 == _reference({}, 3)
    assert tx.evidence_json({"only": {"scalar": 1}}, 2) == ['{"only": {"scalar": 1}}'] * 2


def test_a_constant_that_looks_like_one_value_per_row_is_refused() -> None:
    # A flat list is one value for every row; a list of per-row lists written as a plain
    # list would put every row's value into each document.
    assert tx.evidence_json({"disagreements": ["report_time"]}, 2) == ['{"disagreements": ["report_time"]}'] * 2
    with pytest.raises(TypeError, match="must be a pandas Series"):
        tx.evidence_json({"disagreements": [["report_time"]] * 3}, 3)
    with pytest.raises(TypeError, match="must be a pandas Series"):
        tx.evidence_json({"count": np.arange(3)}, 3)
    per_row = pd.Series([["report_time"]] * 3)
    assert tx.evidence_json({"disagreements": per_row}, 3) == ['{"disagreements": ["report_time"]}'] * 3
