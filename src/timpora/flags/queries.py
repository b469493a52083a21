"""Flag listings and exports (JSON Lines, JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from timpora.config import Settings, get_settings
from timpora.warehouse.db import query_frame, query_sql, warehouse_engine

EXPORT_FORMATS = ("jsonl", "json", "csv")
_DATE_COLUMNS = ("first_night", "last_night")
_TIME_COLUMNS = ("raised_at", "updated_at", "cleared_at")
# Cells a spreadsheet would run as a formula; exported with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def list_flags(
    settings: Settings | None = None,
    rule_code: str | None = None,
    status: str | None = None,
    region_prefix: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Flags matching the filters, highest priority first."""
    settings = settings or get_settings()
    params = {
        "rule_code": rule_code,
        "status": status,
        "region_prefix": region_prefix,
        "region_like": f"{region_prefix}.%" if region_prefix else None,
    }
    with warehouse_engine(settings).connect() as conn:
        frame = query_frame(conn, "flags/list", params)
    if limit is not None:
        frame = frame.head(limit)
    return frame


def open_flag_counts(settings: Settings | None = None) -> dict[str, int]:
    with warehouse_engine(settings or get_settings()).connect() as conn:
        return {row[0]: int(row[1]) for row in query_sql(conn, "flags/open_counts")}


def flag_records(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Flags as plain records: lists and evidence decoded, dates as ISO text."""
    for record in frame.to_dict("records"):
        out: dict[str, Any] = {}
        for key, value in record.items():
            if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
                out[key] = None
            elif key in ("report_ids", "evidence"):
                out[key] = json.loads(value)
            elif key in _DATE_COLUMNS:
                out[key] = str(value)[:10]
            elif key in _TIME_COLUMNS:
                out[key] = pd.Timestamp(value).isoformat()
            elif hasattr(value, "item"):
                out[key] = value.item()
            else:
                out[key] = value
        yield out


def spreadsheet_safe(value: Any) -> Any:
    """Neutralise text a spreadsheet would execute (CSV formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_flags(frame: pd.DataFrame, fmt: str) -> str:
    """Render flags as ``jsonl``, ``json`` or ``csv``."""
    records = list(flag_records(frame))
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        columns = list(frame.columns)
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            row = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for k, v in record.items()}
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        return buffer.getvalue()
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
