"""The audit log: who did what, when, about which flag and region; append-only and chained.

Every row is written by :func:`append`, inside the transaction of what it records. It
takes the next place in the chain (``audit_chain``, whose row lock also makes writers take
turns) and stores ``row_hash``: an HMAC-SHA256, under ``TIMPORA_AUDIT_KEY``, of the
previous row's hash and its own fields. The key is not in the database, so a database
superuser who disables the triggers and rewrites a row, removes one or slips one in
cannot make the chain whole again; :func:`verify` (``timpora audit verify``) walks it and
names the first row that breaks. Only removing the newest rows together with the head
leaves a shorter chain that still verifies: record the head :func:`verify` prints
somewhere else (a ticket, a log shipped off the machine) to detect that too.

Each row names the region it is about, so an admin reads only their scope's rows: a
flag's row the flag's region, any other row the acting user's scope.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from timpora.config import Settings, get_settings
from timpora.warehouse.db import query_sql, run_sql, sql_statements

_KEY_LABEL = b"timpora audit chain v1"
_SEPARATOR = "\x1f"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def chain_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    settings.require_secrets(("TIMPORA_AUDIT_KEY",), who="the audit log")
    return hmac.new(settings.audit_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _stamp(value: Any) -> str:
    """A timestamp as one text whatever the database returned (SQLite text, a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def row_hash(key: bytes, prev_hash: str, row: dict[str, Any]) -> str:
    fields = [
        str(row["seq"]),
        row["audit_id"],
        _stamp(row["at"]),
        row["actor"],
        row["action"],
        row.get("flag_id") or "",
        row.get("region_code") or "",
        row.get("province_code") or "",
        row["detail"],
    ]
    message = (prev_hash + _SEPARATOR + _SEPARATOR.join(fields)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def append(
    conn: Connection,
    actor: str,
    action: str,
    *,
    flag_id: str | None = None,
    detail: dict[str, Any] | None = None,
    region: str | None = None,
    key: bytes | None = None,
) -> None:
    """Append one row. ``region`` is the region the row is about when it is no flag's (the
    acting user's scope); a flag's row takes the flag's region."""
    region_code, province_code = region, (region.split(".", 1)[0] if region else None)
    if flag_id is not None:
        found = query_sql(conn, "review/flag_region", {"flag_id": flag_id})
        if found:
            region_code, province_code = found[0].region_code, found[0].province_code
    head = query_sql(conn, "review/audit_chain_advance")[0]
    at = now_utc()
    row = {
        "seq": int(head.seq),
        "audit_id": f"{at:%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:12]}",
        "at": at,
        "actor": actor[:60],
        "action": action,
        "flag_id": flag_id,
        "region_code": region_code,
        "province_code": province_code,
        "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
    }
    row["prev_hash"] = head.last_hash
    row["row_hash"] = row_hash(key or chain_key(), head.last_hash, row)
    run_sql(conn, "review/audit_insert", row)
    run_sql(conn, "review/audit_chain_set_head", {"row_hash": row["row_hash"], "seq": row["seq"]})


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_seq: int
    head_hash: str
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(engine: Engine, settings: Settings | None = None, page_rows: int = 10_000) -> ChainReport:
    """Walk the chain from its first row: every hash recomputed, every place in order."""
    key = chain_key(settings)
    problems: list[str] = []
    expected_prev, expected_seq, rows = "", 1, 0
    with engine.connect() as conn:
        unchained = int(query_sql(conn, "review/audit_unchained")[0][0])
        if unchained:
            problems.append(f"{unchained} row(s) have no place in the chain (written past the app)")
        after = 0
        while True:
            page = query_sql(conn, "review/audit_chain_page", {"after": after, "limit": page_rows})
            for found in page:
                row = dict(found._mapping)
                if row["seq"] != expected_seq:
                    problems.append(f"place {expected_seq} is missing (the next row is {row['seq']})")
                if row["prev_hash"] != expected_prev:
                    problems.append(f"row {row['seq']} ({row['audit_id']}) does not follow the row before it")
                if not hmac.compare_digest(row_hash(key, row["prev_hash"] or "", row), row["row_hash"] or ""):
                    problems.append(f"row {row['seq']} ({row['audit_id']}) was changed after it was written")
                expected_prev, expected_seq, rows = row["row_hash"] or "", row["seq"] + 1, rows + 1
                if len(problems) >= 20:
                    break
            if len(page) < page_rows or len(problems) >= 20:
                break
            after = page[-1].seq
        head = query_sql(conn, "review/audit_chain_head")[0]
    if not problems and (int(head.seq) != expected_seq - 1 or head.last_hash != expected_prev):
        problems.append(f"the chain's head ({head.seq}) is not its last row ({expected_seq - 1})")
    return ChainReport(rows, int(head.seq), str(head.last_hash), problems)


def chain_existing_rows(conn: Connection) -> None:
    """Migration 0013's data step: give the rows written before it their region and their
    place in the chain, oldest first (the append-only triggers are lifted for the step)."""
    rows = query_sql(conn, "review/audit_rows_to_chain")
    if not rows:
        return
    key = chain_key()
    updates, prev = [], ""
    for seq, found in enumerate(rows, start=1):
        row = dict(found._mapping) | {"seq": seq, "prev_hash": prev}
        row["row_hash"] = prev = row_hash(key, row["prev_hash"], row)
        updates.append(row)
    run_sql(conn, "review/audit_triggers_off")
    for statement in sql_statements("review/audit_set_place", conn.dialect.name):
        conn.execute(sa.text(statement), updates)
    run_sql(conn, "review/audit_triggers_on")
    run_sql(conn, "review/audit_chain_reset", {"seq": len(rows), "row_hash": prev})
