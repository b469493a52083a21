"""Repairs of flags an earlier release stored wrongly, run once by the migration that names them."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from timpora.warehouse.db import query_sql, sql_statements

# Until migration 0012 these rules wrote ``[[x]] * len(cases)`` under ``disagreements``:
# every case of the run's list in each flag, instead of the flag's own ``[x]``.
RUN_WIDE_DISAGREEMENTS = ("REGION_MISMATCH", "CONCURRENT_STAY", "LATE_REPORT")
PAGE_ROWS = 1_000


def _as_the_rules_write_it(evidence: str) -> dict[str, Any] | None:
    """The evidence document with the flag's own disagreements, or None if it already has them."""
    document = json.loads(evidence)
    found = document.get("disagreements")
    if not (isinstance(found, list) and found and all(isinstance(item, list) for item in found)):
        return None
    # Every item of the run-wide list was the same constant list.
    document["disagreements"] = found[0]
    return document


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def repair_run_wide_disagreements(conn: Connection, page_rows: int | None = None) -> int:
    """Rewrite the stored flags of :data:`RUN_WIDE_DISAGREEMENTS` with their own disagreements,
    and their evidence and material hashes as the rules now compute them; how many changed.

    The text is what the rules write (``json.dumps`` with sorted keys, see
    :func:`timpora.rules.text.evidence_json`), so the next reconcile finds a repaired flag
    unchanged and leaves a closed flag closed, instead of reopening it once because the
    repair changed its material hash.
    """
    from timpora.rules.base import VOLATILE_EVIDENCE
    from timpora.rules.text import content_hash

    (update,) = sql_statements("flags/repair_disagreements_update", conn.dialect.name)
    repaired, after = 0, ""
    while True:
        page = query_sql(
            conn,
            "flags/repair_disagreements_page",
            {"rule_codes": list(RUN_WIDE_DISAGREEMENTS), "after": after, "page_rows": page_rows or PAGE_ROWS},
        )
        if not page:
            return repaired
        after = page[-1].flag_id
        fixed = [(row.flag_id, document) for row in page if (document := _as_the_rules_write_it(row.evidence))]
        if not fixed:
            continue
        evidence = [_text(document) for _, document in fixed]
        material = [_text({k: v for k, v in document.items() if k != VOLATILE_EVIDENCE}) for _, document in fixed]
        conn.execute(
            sa.text(update),
            [
                {"flag_id": flag_id, "evidence": text, "evidence_hash": text_hash, "material_hash": material_hash}
                for (flag_id, _), text, text_hash, material_hash in zip(
                    fixed, evidence, content_hash(evidence), content_hash(material), strict=True
                )
            ],
        )
        repaired += len(fixed)
