"""Splitting text lines into records, and the quarantine reasons for lines that do not split.

The contracts are one record per physical line (no field of these feeds legitimately
spans lines), so a line with broken quoting or the wrong number of fields is quarantined
on its own and cannot swallow the lines after it. Lines without a quote character, the
vast majority, are split with vectorised string operations; only quoted lines go through
the ``csv`` module.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from timpora.feeds.normalise import TEXT
from timpora.feeds.reading import LineChunk

RAW_KEEP_CHARS = 65_536
# Characters no feed value may carry: C0 controls (tab aside, which normalising turns into
# a space), DEL, C1 controls, and Unicode's bidirectional marks, embeddings, overrides and
# isolates. A terminal obeys them (an ESC sequence recolours or rewrites what it shows, a
# NUL truncates), a PostgreSQL text cannot hold NUL, and no name or address needs them.
# Literal characters, so pandas runs the search in pyarrow (RE2), not Python's re.
CONTROL_CHARACTERS = "[" + "\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069" + "]"
CONTROL_PATTERN = re.compile(CONTROL_CHARACTERS)


def reason(
    check: str, message_en: str, message_id: str, column: str | None = None, value: object = None
) -> dict[str, Any]:
    """One quarantine reason: what was checked, on which column, which value, and why."""
    item: dict[str, Any] = {"check": check, "message_en": message_en, "message_id": message_id}
    if column is not None:
        item["column"] = column
    if value is not None:
        text = str(value)
        item["value"] = text if len(text) <= 200 else text[:200] + "…"
    return item


@dataclass
class Rejected:
    """Rows for quarantine, each with its reasons as a JSON array."""

    line_no: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, line_no: int, raw: str, reasons: list[dict[str, Any]]) -> None:
        self.line_no.append(line_no)
        self.raw.append(truncate_raw(raw))
        self.reasons.append(json.dumps(reasons, ensure_ascii=False))

    def add_encoded(self, line_numbers: list[int], raws: list[str], reasons_json: list[str]) -> None:
        """Rows whose reasons are already JSON arrays (validation builds them column-wise)."""
        self.line_no.extend(line_numbers)
        self.raw.extend(truncate_raw(raw) for raw in raws)
        self.reasons.extend(reasons_json)

    def extend(self, other: Rejected) -> None:
        self.line_no.extend(other.line_no)
        self.raw.extend(other.raw)
        self.reasons.extend(other.reasons)

    def __len__(self) -> int:
        return len(self.line_no)


def truncate_raw(raw: str) -> str:
    """A quarantined line as stored: at most RAW_KEEP_CHARS, and a NUL (which PostgreSQL's
    text cannot hold) written as ``\\x00``, as the CLI shows every control character."""
    if "\x00" in raw:
        raw = raw.replace("\x00", "\\x00")
    if len(raw) <= RAW_KEEP_CHARS:
        return raw
    return raw[:RAW_KEEP_CHARS] + f"… [truncated: {len(raw)} characters in all]"


@dataclass
class SplitChunk:
    """Records that split into the right number of fields, and the lines that did not."""

    records: pd.DataFrame  # contract columns (text) + line_no + raw
    rejected: Rejected
    blank_lines: int


def parse_header(line: str, delimiter: str, expected: list[str]) -> list[str]:
    """Check a header line against the contract; returns the file's column order.

    Columns may come in another order (they are mapped by name) but none may be missing
    and none unknown: an unknown column's values would otherwise be dropped silently.
    """
    from timpora.feeds.reading import FileRejected

    text = line.lstrip("\ufeff")
    try:
        names = next(csv.reader([text], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        raise FileRejected(
            f"the header row cannot be split on {delimiter!r}: {text[:200]!r}",
            f"baris judul tidak dapat dipisah dengan {delimiter!r}: {text[:200]!r}",
        ) from None
    names = [name.strip().lower() for name in names]
    missing = [name for name in expected if name not in names]
    unknown = [name for name in names if name not in expected]
    if len(names) == 1 and len(expected) > 1:
        raise FileRejected(
            f"the header row has one column; the contract's delimiter is {delimiter!r} (header read as {text[:120]!r})",
            f"baris judul hanya satu kolom; pemisah menurut kontrak adalah {delimiter!r} (terbaca {text[:120]!r})",
        )
    if missing or unknown:
        parts, parts_id = [], []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
            parts_id.append("kolom hilang: " + ", ".join(missing))
        if unknown:
            parts.append("columns the contract does not know: " + ", ".join(unknown))
            parts_id.append("kolom yang tidak dikenal kontrak: " + ", ".join(unknown))
        raise FileRejected(
            "the header row does not match the contract (" + "; ".join(parts) + ")",
            "baris judul tidak sesuai kontrak (" + "; ".join(parts_id) + ")",
        )
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise FileRejected(
            "the header row repeats columns: " + ", ".join(sorted(duplicated)),
            "baris judul mengulang kolom: " + ", ".join(sorted(duplicated)),
        )
    return names


def split_records(chunk: LineChunk, delimiter: str, header: list[str], skip_first: bool) -> SplitChunk:
    """Split a chunk of lines into records with ``len(header)`` fields."""
    rejected = Rejected()
    lines = pd.Series(chunk.lines, dtype=object)
    line_numbers = pd.RangeIndex(chunk.first_line_no, chunk.first_line_no + len(chunk.lines))
    lines.index = line_numbers
    if skip_first:
        lines = lines.iloc[1:]
    for line_no, (length, head) in chunk.oversize.items():
        if line_no in lines.index:
            rejected.add(
                line_no,
                head + f"… [line of {length} bytes, not stored whole]",
                [
                    reason(
                        "structure",
                        f"line is {length} bytes long, over the 1 MiB limit for one record",
                        f"baris sepanjang {length} byte, melebihi batas 1 MiB untuk satu rekaman",
                    )
                ],
            )
            lines = lines.drop(index=line_no)
    text = lines.astype(TEXT)
    blank = text.str.strip().eq("").fillna(True).astype(bool)
    blank_lines = int(blank.sum())
    text = text[~blank]
    expected = len(header)

    has_quote = text.str.contains('"', regex=False).fillna(False).astype(bool)
    plain = text[~has_quote]
    counts = plain.str.count(delimiter) + 1
    plain_ok = plain[counts == expected]
    for line_no, raw in plain[counts != expected].items():
        rejected.add(int(str(line_no)), raw, [_field_count_reason(int(counts[int(str(line_no))]), expected)])

    frames: list[pd.DataFrame] = []
    if len(plain_ok):
        # Every one of these lines has exactly the right number of delimiters and no quote,
        # so pandas' C reader can take them all at once: one record per line, guaranteed.
        split = pd.read_csv(
            io.StringIO("\n".join(plain_ok.tolist())),
            sep=delimiter,
            header=None,
            names=header,
            dtype=TEXT,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
            engine="c",
        )
        if len(split) != len(plain_ok):
            raise RuntimeError(f"split {len(plain_ok)} lines into {len(split)} records")
        split["line_no"] = plain_ok.index.to_numpy()
        split["raw"] = plain_ok.to_numpy()
        frames.append(split)

    quoted = text[has_quote]
    if len(quoted):
        frames.append(_split_quoted(quoted, delimiter, header, rejected))

    if frames:
        records = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
        records = records.sort_values("line_no", kind="stable").reset_index(drop=True)
    else:
        records = pd.DataFrame({name: pd.Series(dtype=TEXT) for name in [*header, "raw"]})
        records["line_no"] = pd.Series(dtype="int64")
    records["line_no"] = records["line_no"].astype("int64")
    records = reject_control_characters(records, header, rejected)
    return SplitChunk(records=records, rejected=rejected, blank_lines=blank_lines)


def control_character_reason(column: str, value: str) -> dict[str, Any]:
    from timpora.terminal import safe_text

    return reason(
        "control_characters",
        f"{column} contains control characters (a terminal escape, NUL or a bidirectional override): refused as unsafe",
        f"{column} memuat karakter kendali (escape terminal, NUL atau pembalik arah teks): ditolak karena tidak aman",
        column=column,
        value=safe_text(value),
    )


def reject_control_characters(records: pd.DataFrame, columns: list[str], rejected: Rejected) -> pd.DataFrame:
    """Rows whose values carry control characters, moved to ``rejected`` with a reason per
    column that does; the other rows are returned. One vectorised search per column."""
    if records.empty:
        return records
    hits = {
        column: records[column].astype(TEXT).str.contains(CONTROL_CHARACTERS, regex=True).fillna(False).to_numpy(bool)
        for column in columns
        if column in records
    }
    bad = pd.Series(False, index=records.index)
    for mask in hits.values():
        bad |= mask
    if not bad.any():
        return records
    for position in bad.to_numpy().nonzero()[0]:  # rare rows: one reason list each
        row = records.iloc[position]
        reasons = [
            control_character_reason(column, str(row[column])) for column, mask in hits.items() if mask[position]
        ]
        rejected.add(int(row["line_no"]), str(row["raw"]), reasons)
    return records[~bad].reset_index(drop=True)


def _field_count_reason(found: int, expected: int) -> dict[str, Any]:
    if found < expected:
        return reason(
            "structure",
            f"expected {expected} fields, found {found}: missing columns",
            f"diharapkan {expected} kolom, ditemukan {found}: ada kolom yang hilang",
        )
    return reason(
        "structure",
        f"expected {expected} fields, found {found}: extra columns (an unquoted delimiter inside a value?)",
        f"diharapkan {expected} kolom, ditemukan {found}: kolom berlebih (pemisah di dalam nilai tanpa tanda kutip?)",
    )


def _split_quoted(quoted: pd.Series, delimiter: str, header: list[str], rejected: Rejected) -> pd.DataFrame:
    """Quoted lines through the csv module, one line per record, strict about quotes."""
    expected = len(header)
    odd = (quoted.str.count('"') % 2 == 1).fillna(False).astype(bool)
    for line_no, raw in quoted[odd].items():
        rejected.add(int(str(line_no)), raw, [_quote_reason()])
    balanced = quoted[~odd]
    numbers: list[int] = []
    rows: list[list[str]] = []
    raws: list[str] = []
    try:
        parsed = list(csv.reader(balanced.tolist(), delimiter=delimiter, strict=True))
        if len(parsed) != len(balanced):
            raise csv.Error("record count differs from line count")
        pairs = zip(balanced.index, balanced.tolist(), parsed, strict=True)
        candidates = [(int(str(n)), raw, fields) for n, raw, fields in pairs]
    except csv.Error:
        # Somewhere a quote is misplaced: fall back to one line at a time to find it.
        candidates = []
        for n, raw in balanced.items():
            try:
                fields = next(csv.reader([raw], delimiter=delimiter, strict=True))
            except csv.Error:
                rejected.add(int(str(n)), raw, [_quote_reason()])
                continue
            candidates.append((int(str(n)), raw, fields))
    for n, raw, fields in candidates:
        if len(fields) != expected:
            rejected.add(n, raw, [_field_count_reason(len(fields), expected)])
            continue
        numbers.append(n)
        rows.append(fields)
        raws.append(raw)
    frame = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    frame["line_no"] = pd.Series(numbers, dtype="int64")
    frame["raw"] = pd.Series(raws, dtype=object)
    return frame


def _quote_reason() -> dict[str, Any]:
    return reason(
        "structure",
        'broken quoting: a value opens a quote (") that does not close properly on this line',
        'tanda kutip rusak: sebuah nilai membuka tanda kutip (") yang tidak ditutup dengan benar di baris ini',
    )
