"""Readers for the three feeds: a landed file in, batches of normalised rows out.

Each reader yields :class:`ParsedBatch` objects of at most ``chunk_rows`` lines. A batch
holds the normalised frame (typed values beside the raw text they came from, so a
quarantine reason can quote what the upstream system sent) and the lines that could not
even be split into records. Validation decides about the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from timpora.feeds import normalise as nz
from timpora.feeds.contracts import (
    HOTEL_GUEST_COLUMNS,
    STAY_PERMIT_COLUMNS,
    VISA_FIELDS,
    Feed,
    LandingKey,
)
from timpora.feeds.normalise import TEXT
from timpora.feeds.reading import FileRejected, LineChunk, detect_shape, iter_line_chunks, iter_text_lines
from timpora.feeds.structure import (
    CONTROL_PATTERN,
    Rejected,
    control_character_reason,
    parse_header,
    reason,
    split_records,
)
from timpora.reference import regions

ISO_DATE = "%Y-%m-%d"
DMY = "%d/%m/%Y"
DMY_HM = "%d/%m/%Y %H:%M"


@dataclass
class ParsedBatch:
    """One chunk of a file: its rows (split into columns, or normalised), the lines
    quarantined while reading them, and the blank lines skipped."""

    frame: pd.DataFrame
    rejected: Rejected = field(default_factory=Rejected)
    blank_lines: int = 0


@dataclass
class FileReadState:
    """What the reader learnt about the whole file (encoding, header), for the ledger."""

    encoding: str | None = None
    header: list[str] | None = None


# Columns stored in the warehouse per feed, in order; the row hash covers exactly these.
HOTEL_GUEST_STORED = [
    "report_id",
    "event",
    "lodging_id",
    "lodging_name",
    "lodging_region_code",
    "guest_surname",
    "guest_given_names",
    "sex",
    "date_of_birth",
    "nationality",
    "nationality_raw",
    "passport_number",
    "passport_number_raw",
    "passport_key",
    "passport_expiry",
    "check_in_local",
    "check_in_utc",
    "check_out_local",
    "check_out_utc",
    "room",
    "occupation",
    "purpose_of_visit",
    "reported_at_local",
    "reported_at_utc",
    "mrz_line1",
    "mrz_line2",
]
STAY_PERMIT_STORED = [
    "permit_number",
    "record_version",
    "permit_type",
    "status",
    "visa_number",
    "passport_number",
    "passport_key",
    "nationality",
    "surname",
    "given_names",
    "date_of_birth",
    "sex",
    "activity",
    "sponsor_name",
    "sponsor_type",
    "region_code",
    "address",
    "valid_from",
    "valid_until",
    "office_code",
    "updated_at",
]
VISA_STORED = [
    "visa_number",
    "record_version",
    "visa_index",
    "status",
    "passport_number",
    "passport_key",
    "passport_country",
    "nationality",
    "surname",
    "given_names",
    "date_of_birth",
    "sex",
    "purpose",
    "sponsor_name",
    "sponsor_type",
    "issued_at",
    "valid_until",
    "max_stay_days",
]
STORED_COLUMNS: dict[Feed, list[str]] = {
    Feed.HOTEL_GUEST: HOTEL_GUEST_STORED,
    Feed.STAY_PERMIT: STAY_PERMIT_STORED,
    Feed.VISA: VISA_STORED,
}


def read_feed_records(feed: Feed, path: Path, chunk_rows: int, state: FileReadState) -> Iterator[ParsedBatch]:
    """A landed file of ``feed`` in chunks, each row split into the contract's columns as
    text, not yet normalised (:func:`normalise_records`); raises :class:`FileRejected` for
    file-level faults. Visa lines are decoded and normalised as they are read.

    Normalising has a fixed cost per call (a few dozen vectorised column operations, about
    80 ms), so the rows of many small files are normalised together.
    """
    if feed is Feed.VISA:
        yield from _read_visa(path, chunk_rows, state)
    elif feed is Feed.STAY_PERMIT:
        yield from _read_delimited(path, chunk_rows, state, ",", STAY_PERMIT_COLUMNS)
    else:
        yield from _read_delimited(path, chunk_rows, state, ";", HOTEL_GUEST_COLUMNS)


def normalise_records(feed: Feed, records: pd.DataFrame) -> pd.DataFrame:
    """Rows read by :func:`read_feed_records` -> normalised values, raw text kept where typed."""
    if feed is Feed.VISA:
        return records
    columns = STAY_PERMIT_COLUMNS if feed is Feed.STAY_PERMIT else HOTEL_GUEST_COLUMNS
    # One conversion to arrow text, of a whole batch; every normaliser then works arrow to arrow.
    records = records.astype(dict.fromkeys(columns, TEXT))
    if feed is Feed.STAY_PERMIT:
        return normalise_stay_permit(records)
    return normalise_hotel_guest(records)


def with_file_source(frame: pd.DataFrame, source_ids: Any) -> pd.DataFrame:
    """Rows with the ``file_source_id`` of their file (one id, or one per row): the lodging
    id or office code its name starts with, which the suite compares with the row's own,
    so that rows of many small files are judged file by file in one validation."""
    frame["file_source_id"] = pd.Series(source_ids, index=frame.index, dtype=TEXT)
    return frame


def read_feed_file(
    feed: Feed, path: Path, landing: LandingKey, chunk_rows: int, state: FileReadState
) -> Iterator[ParsedBatch]:
    """Parse and normalise a landed file of ``feed``, chunk by chunk; raises
    :class:`FileRejected` for file-level faults."""
    for batch in read_feed_records(feed, path, chunk_rows, state):
        frame = normalise_records(feed, batch.frame)
        if landing.source_id is not None:
            frame = with_file_source(frame, landing.source_id)
        yield ParsedBatch(frame, batch.rejected, batch.blank_lines)


def _read_delimited(
    path: Path, chunk_rows: int, state: FileReadState, delimiter: str, columns: list[str]
) -> Iterator[ParsedBatch]:
    shape = detect_shape(path)
    state.encoding = shape.encoding
    for chunk in iter_line_chunks(path, shape.encoding, chunk_rows, shape.line_end):
        first = state.header is None
        if first:
            if chunk.first_line_no in chunk.oversize:
                raise FileRejected(
                    "the header row is over 1 MiB long: this is not a feed file",
                    "baris judul lebih dari 1 MiB: ini bukan berkas feed",
                )
            state.header = parse_header(chunk.lines[0], delimiter, columns)
        assert state.header is not None
        split = split_records(chunk, delimiter, state.header, skip_first=first)
        yield ParsedBatch(split.records[[*columns, "line_no", "raw"]], split.rejected, split.blank_lines)


def iter_raw_lines(path: Path, encoding: str | None, chunk_rows: int) -> Iterator[LineChunk]:
    """Lines of a rejected file, decoded as well as possible, for whole-file quarantine."""
    if encoding and encoding.startswith(("utf-16", "utf-32")):
        yield from iter_text_lines(path, encoding, chunk_rows)
    else:
        # Latin-1 maps every byte to a character: nothing of an undecodable file is lost.
        yield from iter_line_chunks(path, encoding or "latin-1", chunk_rows)


# --- hotel_guest --------------------------------------------------------------------------


def _region_timezones(region_codes: pd.Series) -> pd.Series:
    table = regions()
    zones = {code: region.timezone for code, region in table.items() if region.level != "province"}
    return region_codes.map(zones, na_action="ignore").astype(TEXT)


def normalise_hotel_guest(records: pd.DataFrame) -> pd.DataFrame:
    """Lodging guest report rows -> normalised values, raw text kept where it is typed."""
    out = pd.DataFrame(index=records.index)
    out["line_no"] = records["line_no"].astype("int64")
    out["raw"] = records["raw"]
    out["report_id"] = nz.clean_text(records["report_id"]).str.upper()
    # The lodging part of <lodging_id>-<seq>, so the suite can compare it with lodging_id.
    out["report_lodging_id"] = out["report_id"].str.replace(r"-[0-9]+$", "", regex=True)
    out["event"] = nz.clean_text(records["event"]).str.upper()
    out["lodging_id"] = nz.clean_text(records["lodging_id"]).str.upper()
    out["lodging_name"] = nz.clean_text(records["lodging_name"])
    out["lodging_region_code"] = nz.clean_text(records["lodging_region_code"])
    out["guest_surname"] = nz.clean_text(records["guest_surname"])
    out["guest_given_names"] = nz.clean_text(records["guest_given_names"])
    out["sex_raw"] = nz.clean_text(records["sex"])
    out["sex"] = nz.hotel_sex(records["sex"])
    out["date_of_birth_raw"] = nz.clean_text(records["date_of_birth"])
    out["date_of_birth"] = nz.parse_date(records["date_of_birth"], DMY)
    out["nationality_raw"] = nz.clean_text(records["nationality"])
    out["nationality"] = nz.normalise_nationality(out["nationality_raw"])
    out["passport_number_raw"] = nz.clean_text(records["passport_number"])
    out["passport_number"] = nz.normalise_passport(records["passport_number"])
    out["passport_key"] = nz.passport_key(records["passport_number"])
    out["passport_expiry_raw"] = nz.clean_text(records["passport_expiry"])
    out["passport_expiry"] = nz.parse_date(records["passport_expiry"], DMY)
    zones = _region_timezones(out["lodging_region_code"])
    for name in ("check_in", "check_out", "reported_at"):
        out[f"{name}_raw"] = nz.clean_text(records[name])
        local = nz.parse_date(records[name], DMY_HM)
        out[f"{name}_local"] = local
        out[f"{name}_utc"] = nz.to_utc_naive(nz.local_to_utc(local, zones))
    out["room"] = nz.clean_text(records["room"])
    out["occupation"] = nz.clean_text(records["occupation"])
    out["purpose_of_visit"] = nz.clean_text(records["purpose_of_visit"])
    out["mrz_line1"] = nz.clean_text(records["mrz_line1"])
    out["mrz_line2"] = nz.clean_text(records["mrz_line2"])
    out["row_hash"] = nz.row_hash(out, HOTEL_GUEST_STORED)
    return out


# --- stay_permit --------------------------------------------------------------------------


def normalise_stay_permit(records: pd.DataFrame) -> pd.DataFrame:
    """Immigration office permit rows -> normalised values."""
    out = pd.DataFrame(index=records.index)
    out["line_no"] = records["line_no"].astype("int64")
    out["raw"] = records["raw"]
    out["permit_number"] = nz.clean_text(records["permit_number"]).str.upper()
    out["record_version_raw"] = nz.clean_text(records["record_version"])
    out["record_version"] = nz.parse_int(records["record_version"])
    out["permit_type"] = nz.clean_text(records["permit_type"]).str.upper()
    out["status"] = nz.clean_text(records["status"]).str.upper()
    out["visa_number"] = nz.clean_text(records["visa_number"]).str.upper()
    _person_columns(records, out)
    out["activity"] = nz.clean_text(records["activity"]).str.upper()
    out["sponsor_name"] = nz.clean_text(records["sponsor_name"])
    out["sponsor_type"] = nz.clean_text(records["sponsor_type"]).str.upper()
    out["region_code"] = nz.clean_text(records["region_code"])
    out["address"] = nz.clean_text(records["address"])
    for name in ("valid_from", "valid_until"):
        out[f"{name}_raw"] = nz.clean_text(records[name])
        out[name] = nz.parse_date(records[name], ISO_DATE)
    out["office_code"] = nz.clean_text(records["office_code"]).str.upper()
    out["updated_at_raw"] = nz.clean_text(records["updated_at"])
    out["updated_at"] = nz.to_utc_naive(nz.parse_offset_datetime(records["updated_at"]))
    out["row_hash"] = nz.row_hash(out, STAY_PERMIT_STORED)
    return out


def _person_columns(records: pd.DataFrame, out: pd.DataFrame) -> None:
    """Identity fields shared by the permit and visa contracts."""
    out["passport_number_raw"] = nz.clean_text(records["passport_number"])
    out["passport_number"] = nz.normalise_passport(records["passport_number"])
    out["passport_key"] = nz.passport_key(records["passport_number"])
    out["nationality_raw"] = nz.clean_text(records["nationality"])
    out["nationality"] = nz.normalise_nationality(out["nationality_raw"])
    out["surname"] = nz.normalise_upper_name(records["surname"])
    out["given_names"] = nz.normalise_upper_name(records["given_names"])
    out["date_of_birth_raw"] = nz.clean_text(records["date_of_birth"])
    out["date_of_birth"] = nz.parse_date(records["date_of_birth"], ISO_DATE)
    out["sex_raw"] = nz.clean_text(records["sex"])
    out["sex"] = out["sex_raw"].str.upper()


# --- visa ---------------------------------------------------------------------------------


def _read_visa(path: Path, chunk_rows: int, state: FileReadState) -> Iterator[ParsedBatch]:
    shape = detect_shape(path)
    state.encoding = shape.encoding
    if state.encoding == "cp1252":
        raise FileRejected(
            "a visa file must be UTF-8 JSON Lines; this one is not valid UTF-8",
            "berkas visa harus JSON Lines UTF-8; berkas ini bukan UTF-8 yang sah",
        )
    for chunk in iter_line_chunks(path, shape.encoding, chunk_rows, shape.line_end):
        yield _parse_visa_chunk(chunk)


def _decode_json_lines(lines: list[str]) -> list[Any] | None:
    """Fast path: all lines at once through one C-level ``json.loads``; ``None`` if any is bad."""
    try:
        decoded = json.loads("[" + ",".join(lines) + "]")
    except (json.JSONDecodeError, RecursionError):
        return None
    return decoded if isinstance(decoded, list) and len(decoded) == len(lines) else None


def _parse_visa_chunk(chunk: LineChunk) -> ParsedBatch:
    rejected = Rejected()
    numbers: list[int] = []
    texts: list[str] = []
    blank = 0
    for offset, text in enumerate(chunk.lines):
        line_no = chunk.first_line_no + offset
        if line_no in chunk.oversize:
            length, head = chunk.oversize[line_no]
            rejected.add(
                line_no,
                head,
                [
                    reason(
                        "structure",
                        f"line is {length} bytes long, over the 1 MiB limit for one record",
                        f"baris sepanjang {length} byte, melebihi batas 1 MiB untuk satu rekaman",
                    )
                ],
            )
        elif text.strip():
            numbers.append(line_no)
            texts.append(text)
        else:
            blank += 1
    decoded = _decode_json_lines(texts)
    objects: list[dict[str, Any]] = []
    kept_numbers: list[int] = []
    kept_texts: list[str] = []
    for position, (line_no, text) in enumerate(zip(numbers, texts, strict=True)):
        if decoded is not None:
            value = decoded[position]
        else:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                message = (
                    f"not valid JSON: {exc.msg} at column {exc.colno}",
                    f"bukan JSON yang sah: {exc.msg} pada kolom {exc.colno}",
                )
                rejected.add(line_no, text, [reason("structure", *message)])
                continue
            except RecursionError:
                message = ("JSON nested too deeply to read", "JSON bersarang terlalu dalam untuk dibaca")
                rejected.add(line_no, text, [reason("structure", *message)])
                continue
        problems = _visa_object_problems(value)
        if problems:
            rejected.add(line_no, text, problems)
            continue
        objects.append(value)
        kept_numbers.append(line_no)
        kept_texts.append(text)
    # dtype=object keeps each JSON value as parsed: no 1 -> 1.0 when a column also holds 1.5.
    frame = pd.DataFrame(objects, columns=VISA_FIELDS, dtype=object)
    frame["line_no"] = pd.Series(kept_numbers, dtype="int64")
    frame["raw"] = pd.Series(kept_texts, dtype=object)
    return ParsedBatch(normalise_visa(frame), rejected, blank)


def json_type(value: Any) -> str:
    """A decoded JSON value's type as JSON names it (``null``, ``array``), not Python."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_JSON_TYPE_ID = {"null": "null", "a boolean": "boolean", "a number": "angka", "a string": "teks", "an array": "larik"}


def _visa_object_problems(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        found = json_type(value)
        return [
            reason(
                "structure",
                f"each line must be a JSON object {{...}}, found {found}",
                f"setiap baris harus berupa objek JSON {{...}}, ditemukan {_JSON_TYPE_ID.get(found, found)}",
            )
        ]
    problems = []
    unknown = sorted(set(value) - set(VISA_FIELDS))
    if unknown:
        problems.append(
            reason(
                "structure",
                "fields the contract does not know: " + ", ".join(unknown),
                "field yang tidak dikenal kontrak: " + ", ".join(unknown),
            )
        )
    strings = {key: item for key, item in value.items() if isinstance(item, str)}
    if isinstance(value.get("sponsor"), dict):
        strings |= {f"sponsor.{k}": v for k, v in value["sponsor"].items() if isinstance(v, str)}
    problems += [control_character_reason(key, text) for key, text in strings.items() if CONTROL_PATTERN.search(text)]
    sponsor = value.get("sponsor")
    if sponsor is not None and not (isinstance(sponsor, dict) and set(sponsor) <= {"name", "type"}):
        problems.append(
            reason(
                "structure",
                'sponsor must be null or an object {"name", "type"}',
                'sponsor harus null atau objek {"name", "type"}',
                column="sponsor",
                value=json.dumps(sponsor),
            )
        )
    return problems


def _as_text(values: pd.Series) -> pd.Series:
    """JSON scalars as text; ``null`` stays missing (``2`` -> ``"2"``, ``2.5`` -> ``"2.5"``)."""
    return values.map(
        lambda v: None if v is None else (v if isinstance(v, str) else json.dumps(v)), na_action="ignore"
    ).astype(TEXT)


def normalise_visa(frame: pd.DataFrame) -> pd.DataFrame:
    """e-Visa JSON objects -> normalised values."""
    records = pd.DataFrame(index=frame.index)
    for name in VISA_FIELDS:
        if name != "sponsor":
            records[name] = _as_text(frame[name].astype(object))
    sponsors = frame["sponsor"].astype(object)
    records["sponsor_name"] = _as_text(sponsors.map(lambda s: s.get("name") if isinstance(s, dict) else None))
    records["sponsor_type"] = _as_text(sponsors.map(lambda s: s.get("type") if isinstance(s, dict) else None))

    out = pd.DataFrame(index=frame.index)
    out["line_no"] = frame["line_no"].astype("int64")
    out["raw"] = frame["raw"]
    out["visa_number"] = nz.clean_text(records["visa_number"]).str.upper()
    out["record_version_raw"] = nz.clean_text(records["record_version"])
    out["record_version"] = nz.parse_int(records["record_version"])
    out["visa_index"] = nz.clean_text(records["visa_index"]).str.upper()
    out["status"] = nz.clean_text(records["status"]).str.upper()
    _person_columns(records, out)
    out["passport_country_raw"] = nz.clean_text(records["passport_country"])
    out["passport_country"] = nz.normalise_nationality(out["passport_country_raw"])
    out["purpose"] = nz.clean_text(records["purpose"]).str.upper()
    out["sponsor_name"] = nz.clean_text(records["sponsor_name"])
    out["sponsor_type"] = nz.clean_text(records["sponsor_type"]).str.upper()
    out["issued_at_raw"] = nz.clean_text(records["issued_at"])
    out["issued_at"] = nz.to_utc_naive(nz.parse_offset_datetime(records["issued_at"]))
    out["valid_until_raw"] = nz.clean_text(records["valid_until"])
    out["valid_until"] = nz.parse_date(records["valid_until"], ISO_DATE)
    out["max_stay_days_raw"] = nz.clean_text(records["max_stay_days"])
    out["max_stay_days"] = nz.parse_int(records["max_stay_days"])
    out["row_hash"] = nz.row_hash(out, VISA_STORED)
    return out
