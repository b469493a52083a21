"""The reconcile step: rebuild nights, run the rules, publish flags, clear what data resolved.

One run works on a scope of people: those whose records changed since the last run
(marked dirty by the merges), plus everyone with an open stay when the as-of date moved,
or everyone on request. Claiming the dirty marks commits first, in a statement of its
own, so an ingest writing marks waits for that claim only, never for a whole run; the rest
of the run is one transaction, so a run killed at any point leaves the previous state
(its claims the next run takes over) and the next run reaches the same result.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from timpora import metrics
from timpora.config import Settings, get_settings
from timpora.feeds.normalise import TEXT
from timpora.ingest.ledger import now_utc
from timpora.matching.identity import link_identities
from timpora.rules.catalogue import CANDIDATE_COLUMNS, RULES, RuleContext
from timpora.rules.config import RulesConfig, load_rules_config
from timpora.warehouse import star
from timpora.warehouse.bulk import insert_frame
from timpora.warehouse.db import query_frame, query_sql, run_sql, transaction, warehouse_engine
from timpora.warehouse.locks import exclusive

log = logging.getLogger(__name__)


@dataclass
class ReconcileSummary:
    """What one reconcile run did."""

    run_id: str
    as_of_date: str | None
    scope_size: int = 0
    nights: int = 0
    links: int = 0
    identity_mismatches: int = 0
    candidates: dict[str, int] = field(default_factory=dict)
    raised: int = 0
    updated: int = 0
    cleared: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def reconcile(
    settings: Settings | None = None, run_id: str | None = None, full: bool = False, config: RulesConfig | None = None
) -> ReconcileSummary:
    """Run one reconcile over the warehouse; safe to repeat (a repeat changes nothing)."""
    settings = settings or get_settings()
    config = config or load_rules_config(settings.rules_config)
    run_id = run_id or f"reconcile-{uuid.uuid4().hex[:12]}"
    engine = warehouse_engine(settings)
    with exclusive(settings, "reconcile", wait=True):
        with transaction(engine) as conn:
            run_sql(conn, "reconcile/claim_dirty", {"run_id": run_id})
        summary = _reconcile_claimed(engine, settings, config, run_id, full)
    log.info(
        "reconcile %s as of %s: scope %d, raised %d, updated %d, cleared %d",
        run_id,
        summary.as_of_date,
        summary.scope_size,
        summary.raised,
        summary.updated,
        summary.cleared,
    )
    return summary


def _reconcile_claimed(
    engine: sa.Engine, settings: Settings, config: RulesConfig, run_id: str, full: bool
) -> ReconcileSummary:
    """The run itself, in one transaction, over the people it claimed (and more as asked)."""
    with transaction(engine, settings.pg_work_mem) as conn:
        as_of = _as_date(query_sql(conn, "reconcile/as_of_date")[0][0])
        summary = ReconcileSummary(run_id=run_id, as_of_date=as_of.isoformat() if as_of else None)
        if as_of is None:
            log.info("nothing loaded yet: no reconcile")
            return summary
        state = query_sql(conn, "reconcile/state")
        nights_as_of = _as_date(state[0][1]) if state else None
        run_sql(conn, "reconcile/scope_claimed", {"run_id": run_id})
        if full:
            run_sql(conn, "reconcile/scope_everyone", {"run_id": run_id})
        if nights_as_of != as_of:
            run_sql(conn, "reconcile/scope_open_stays", {"run_id": run_id})
        summary.scope_size = int(conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_scope")).scalar_one())
        with metrics.stage("guest nights"):
            run_sql(conn, "reconcile/build_nights", {"nights_until": as_of + timedelta(days=1)})
            run_sql(conn, "reconcile/analyze")
        summary.nights = int(
            conn.execute(
                sa.text(
                    "SELECT COUNT(*) FROM guest_night WHERE passport_key IN (SELECT person_key FROM reconcile_scope)"
                )
            ).scalar_one()
        )
        with metrics.stage("identity linking"):
            links = link_identities(conn, config.linking, settings.chunk_rows)
        metrics.count("identity linking", links.links)
        summary.links = links.links
        summary.identity_mismatches = links.mismatches
        context = RuleContext(as_of=as_of, config=config, run_id=run_id)
        evaluated = [code for code in RULES if config.enabled(code)]
        frames = []
        for code in evaluated:
            with metrics.stage("rules"):
                found = RULES[code].evaluate(conn, context)
            summary.candidates[code.value] = len(found)
            frames.append(found)
        candidates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CANDIDATE_COLUMNS)
        with metrics.stage("flag upsert", len(candidates)):
            conn.execute(sa.text("DELETE FROM flag_candidate"))
            insert_frame(conn, "flag_candidate", candidates)
            run_sql(conn, "flags/analyze_candidates")
            _publish(conn, summary, [code.value for code in evaluated], as_of)
        with metrics.stage("analyst star refresh"):
            star.refresh(conn, config)
        run_sql(conn, "reconcile/save_state", {"as_of_date": as_of, "now": now_utc(), "scope_size": summary.scope_size})
        run_sql(conn, "reconcile/release_claims", {"run_id": run_id})
        conn.execute(sa.text("DELETE FROM flag_candidate"))
    return summary


def _publish(conn: Connection, summary: ReconcileSummary, rule_codes: list[str], as_of: date) -> None:
    """Merge this run's candidates into the flags, and clear flags the data resolved."""
    now = now_utc()
    classified = query_frame(conn, "flags/classify_candidates")
    resolved = query_frame(conn, "flags/resolved", {"rule_codes": rule_codes})
    clearable = resolved[resolved["status"].isin(["OPEN", "REOPENED"])]
    note = (
        f"Dibersihkan otomatis pada rekonsiliasi per {as_of.isoformat()}: data terbaru tidak lagi "
        "memicu aturan ini (mis. perpanjangan izin, koreksi atau pembatalan laporan penginapan). / "
        f"Cleared automatically by the reconcile as of {as_of.isoformat()}: the latest data no longer "
        "raises this rule (e.g. a permit extension, a lodging correction or cancellation)."
    )
    run_sql(conn, "flags/insert_new", {"now": now})
    run_sql(conn, "flags/update_changed", {"now": now})
    run_sql(conn, "flags/refresh_priority")
    if len(clearable):
        run_sql(conn, "flags/clear_resolved", {"flag_ids": clearable["flag_id"].tolist(), "note": note, "now": now})

    change = classified["change"] if len(classified) else pd.Series(dtype=TEXT)
    summary.raised = int((change == "NEW").sum())
    summary.updated = int((change == "CHANGED").sum())
    summary.unchanged = int((change == "SAME").sum())
    summary.cleared = len(clearable)

    changed = classified[classified["change"] != "SAME"] if len(classified) else classified
    kinds = pd.Series("UPDATED", index=changed.index)
    if len(changed):
        kinds[changed["change"] == "NEW"] = "RAISED"
        kinds[(changed["change"] == "CHANGED") & (changed["current_status"] == "CLEARED")] = "RERAISED"
        reopened = (
            (changed["change"] == "CHANGED")
            & (changed["current_status"] == "CLOSED")
            & (changed["material_change"].astype(int) == 1)
        )
        kinds[reopened] = "REOPENED"
    events = pd.DataFrame(
        {
            "flag_id": list(changed["flag_id"]) + list(clearable["flag_id"]),
            "kind": list(kinds) + ["CLEARED"] * len(clearable),
        }
    )
    if len(events):
        events["at"] = pd.Timestamp(now)
        events["actor"] = "reconcile"
        events["note"] = [note if kind == "CLEARED" else None for kind in events["kind"]]
        stamp = f"{pd.Timestamp(now).value:020d}"
        events["event_id"] = [
            f"{stamp}-{flag_id}-{kind}"[:40] for flag_id, kind in zip(events["flag_id"], events["kind"], strict=True)
        ]
        insert_frame(conn, "flag_event", events[["event_id", "flag_id", "at", "kind", "actor", "note"]])
