"""The committed data dictionary is the one the schema generates."""

from __future__ import annotations

from pathlib import Path

from timpora.warehouse.dictionary import generate

DICTIONARY = Path(__file__).resolve().parent.parent / "docs" / "DATA_DICTIONARY.md"


def test_data_dictionary_is_up_to_date() -> None:
    text = generate()
    assert DICTIONARY.read_text(encoding="utf-8") == text, "run: timpora db dictionary"
    for expected in ("### `analyst_uncovered_guest_nights`", "### `fact_guest_night`", "FK → `dim_person.person_key`"):
        assert expected in text
