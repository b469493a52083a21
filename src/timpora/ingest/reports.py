"""Reports on what ingest did: the file ledger and the quarantine, by file."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from timpora.config import Settings, get_settings
from timpora.flags.queries import spreadsheet_safe
from timpora.warehouse.db import query_frame, warehouse_engine


def ledger_frame(keys: list[str] | None = None, settings: Settings | None = None) -> pd.DataFrame:
    with warehouse_engine(settings or get_settings()).connect() as conn:
        frame = query_frame(conn, "ingest/ledger_list")
    if keys is not None:
        frame = frame[frame["object_key"].isin(keys)]
    return frame.reset_index(drop=True)


def quarantine_frame(object_key: str | None = None, settings: Settings | None = None) -> pd.DataFrame:
    with warehouse_engine(settings or get_settings()).connect() as conn:
        return query_frame(conn, "ingest/quarantine_list", {"object_key": object_key})


def export_quarantine(frame: pd.DataFrame, fmt: str) -> str:
    """Quarantine entries as ``jsonl`` or spreadsheet-safe ``csv`` (one row per entry)."""
    records = []
    for row in frame.itertuples():
        records.append(
            {
                "object_key": row.object_key,
                "feed": row.feed,
                "object_version": int(row.object_version),
                "line_no": int(row.line_no),
                "scope": row.scope,
                "reasons": json.loads(row.reasons),
                "raw": row.raw,
            }
        )
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["object_key", "feed", "object_version", "line_no", "scope", "reasons", "raw"])
        for r in records:
            reasons = " | ".join(
                f"{x.get('column', x['check'])}: {x['message_en']}" + (f" [{x['value']}]" if x.get("value") else "")
                for x in r["reasons"]
            )
            writer.writerow(
                [
                    spreadsheet_safe(v)
                    for v in (
                        r["object_key"],
                        r["feed"],
                        r["object_version"],
                        r["line_no"],
                        r["scope"],
                        reasons,
                        r["raw"],
                    )
                ]
            )
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}: choose jsonl or csv")
