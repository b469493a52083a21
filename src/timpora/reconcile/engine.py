"""The reconcile step: rebuild nights, run the rules, publish flags, clear what data resolved.

One run works on a scope of people: those whose records changed since the last run
(marked dirty by the merges), plus everyone with an open stay when the as-of date moved,
or everyone on request. Claiming the dirty marks commits first, in a statement of its
own that moves them into the run's scope, so an ingest writing marks waits for that claim
only, never for a whole run. The rest of the scope is committed next (it only lists whom
to examine). On SQLite the rest of the run is one transaction; on PostgreSQL its steps run
on two connections at once, each committing on its own, and the flags' transaction
commits last and is the one that releases the claims (it empties the scope). Either way
a run killed at any point leaves its claims, which the next run takes over, and the next
run reaches the same result: nights, links and star rows are derived from the records,
and are rebuilt for everyone a run examines (the permit and visa facts for those whose
permits or visas changed, or for everyone in a full run).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from timpora import metrics
from timpora.config import Settings, get_settings
from timpora.feeds.normalise import TEXT
from timpora.ingest.ledger import now_utc
from timpora.matching.identity import LinkCounts, link_identities
from timpora.rules.catalogue import RULES, RuleContext
from timpora.rules.config import RuleCode, RulesConfig, load_rules_config
from timpora.warehouse import star
from timpora.warehouse.bulk import insert_frame
from timpora.warehouse.db import query_frame, query_sql, run_sql, transaction, warehouse_engine
from timpora.warehouse.locks import exclusive

log = logging.getLogger(__name__)
T = TypeVar("T")


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


@dataclass(frozen=True)
class _Scope:
    """What the run's first, committed step settled: the dates and the people to examine."""

    as_of: date | None
    size: int


def _reconcile_claimed(
    engine: sa.Engine, settings: Settings, config: RulesConfig, run_id: str, full: bool
) -> ReconcileSummary:
    """The run itself over the people it claimed (and more as asked)."""
    with transaction(engine, settings.pg_work_mem) as conn:
        scope = _settle_scope(conn, run_id, full)
        # The rules write their candidates page by page, on PostgreSQL from both
        # connections: the table is emptied (of a failed run's leftovers) before either does.
        conn.execute(sa.text("DELETE FROM flag_candidate"))
    summary = ReconcileSummary(run_id=run_id, as_of_date=scope.as_of.isoformat() if scope.as_of else None)
    if scope.as_of is None:
        log.info("nothing loaded yet: no reconcile")
        return summary
    summary.scope_size = scope.size
    # The rows these stages work through are the people in scope (every enabled rule and
    # the star refresh examine each of them); the nights count their own (_build_nights).
    metrics.count("rules", scope.size)
    metrics.count("analyst star refresh (people)", scope.size)
    if engine.dialect.name == "postgresql":
        _run_in_parallel(engine, settings, config, run_id, scope.as_of, summary)
    else:
        # SQLite has one writer: the steps run one after another, in one transaction.
        with transaction(engine) as conn:
            summary.nights = _build_nights(conn, scope.as_of)
            _count_links(summary, _link(conn, settings, config))
            context = RuleContext(as_of=scope.as_of, config=config, run_id=run_id)
            _judge(conn, summary, context, settings.rule_page_rows, {})
            _refresh_star_people(conn, config)
            _refresh_star_guest_nights(conn, config, summary.nights)
            _finish(conn, summary, run_id, scope.as_of)
    return summary


def _run_in_parallel(
    engine: sa.Engine, settings: Settings, config: RulesConfig, run_id: str, as_of: date, summary: ReconcileSummary
) -> None:
    """The steps on two PostgreSQL connections, each in a transaction of its own.

    Most of a reconcile is PostgreSQL writing rows, one statement at a time, and on one
    connection that leaves a core idle. Here a second connection builds the nights, judges
    the rules that do not read identity links (committing their candidates to
    ``flag_candidate``, where the flags' transaction finds them), and then refreshes the
    star rows drawn from the loaded records alone, while this one links identities; once
    nights and links are in, it settles the guest nights' covering permits while this one
    judges the other rules and publishes the flags. The flags' transaction commits last
    and releases the claims only after every other step has committed: a run that fails
    anywhere leaves its claims, and the next run examines the same people again (the
    nights, links, candidates and star rows a failed run did commit are rebuilt then, as
    they are derived from the records).
    """
    work_mem = settings.pg_work_mem
    context = RuleContext(as_of=as_of, config=config, run_id=run_id)
    without_links = [
        code for code in RULES if config.enabled(code) and not RULES[code].reads_identity_links(engine.dialect.name)
    ]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconcile-side") as side:
        nights = side.submit(_in_transaction, engine, work_mem, lambda conn: _build_nights(conn, as_of))
        judged_beside = side.submit(
            _in_transaction,
            engine,
            work_mem,
            lambda conn: _evaluate(conn, without_links, context, settings.rule_page_rows),
        )
        people = side.submit(_in_transaction, engine, work_mem, lambda conn: _refresh_star_people(conn, config))
        with transaction(engine, work_mem) as conn:
            _count_links(summary, _link(conn, settings, config))
        summary.nights = nights.result()
        guest_nights = side.submit(
            _in_transaction, engine, work_mem, lambda conn: _refresh_star_guest_nights(conn, config, summary.nights)
        )
        with transaction(engine, work_mem) as conn:
            _judge(conn, summary, context, settings.rule_page_rows, judged_beside.result())
            with metrics.stage("waiting for the star"):
                # An error there rolls the flags back too, and keeps the claims.
                people.result()
                guest_nights.result()
            _finish(conn, summary, run_id, as_of)


def _in_transaction(engine: sa.Engine, work_mem: str | None, step: Callable[[Connection], T]) -> T:
    with transaction(engine, work_mem) as conn:
        return step(conn)


def _build_nights(conn: Connection, as_of: date) -> int:
    """The scope's guest nights, rebuilt from their stays; how many they are."""
    with metrics.stage("guest nights"):
        run_sql(conn, "reconcile/build_nights", {"nights_until": as_of + timedelta(days=1)})
        run_sql(conn, "reconcile/analyze_nights")
    nights = int(
        conn.execute(
            sa.text("SELECT COUNT(*) FROM guest_night WHERE passport_key IN (SELECT person_key FROM reconcile_scope)")
        ).scalar_one()
    )
    metrics.count("guest nights", nights)
    return nights


def _link(conn: Connection, settings: Settings, config: RulesConfig) -> LinkCounts:
    with metrics.stage("identity linking"):
        links = link_identities(conn, config.linking, settings.chunk_rows)
    metrics.count("identity linking", links.links)
    return links


def _count_links(summary: ReconcileSummary, links: LinkCounts) -> None:
    summary.links = links.links
    summary.identity_mismatches = links.mismatches


def _evaluate(conn: Connection, codes: list[RuleCode], context: RuleContext, page_rows: int) -> dict[RuleCode, int]:
    """Each rule of ``codes`` over the scope, its candidates written to ``flag_candidate`` a
    page at a time; how many each rule found."""
    found = {}
    for code in codes:
        found[code] = 0
        pages = RULES[code].evaluate_pages(conn, context, page_rows)
        while True:
            with metrics.stage("rules"):
                page = next(pages, None)
            if page is None:
                break
            with metrics.stage("flag upsert", len(page)):
                insert_frame(conn, "flag_candidate", page)
            found[code] += len(page)
    return found


def _judge(
    conn: Connection,
    summary: ReconcileSummary,
    context: RuleContext,
    page_rows: int,
    judged: dict[RuleCode, int],
) -> None:
    """Every enabled rule over the scope (those not already ``judged`` elsewhere, whose
    candidates are in ``flag_candidate`` too), then the candidates merged into the flags."""
    enabled = [code for code in RULES if context.config.enabled(code)]
    found = judged | _evaluate(conn, [code for code in enabled if code not in judged], context, page_rows)
    for code in enabled:
        summary.candidates[code.value] = found[code]
    with metrics.stage("flag upsert"):
        run_sql(conn, "flags/analyze_candidates")
        _publish(conn, summary, [code.value for code in enabled], context.as_of)
        conn.execute(sa.text("DELETE FROM flag_candidate"))


def _refresh_star_people(conn: Connection, config: RulesConfig) -> None:
    with metrics.stage("analyst star refresh (people)"):
        star.refresh_people(conn, config)


def _refresh_star_guest_nights(conn: Connection, config: RulesConfig, nights: int) -> None:
    with metrics.stage("analyst star refresh (guest nights)", nights):
        star.refresh_guest_nights(conn, config)


def _finish(conn: Connection, summary: ReconcileSummary, run_id: str, as_of: date) -> None:
    """Record the run and release its claims (the scope's MARKED rows) with the scope."""
    run_sql(conn, "reconcile/save_state", {"as_of_date": as_of, "now": now_utc(), "scope_size": summary.scope_size})
    run_sql(conn, "reconcile/release_claims", {"run_id": run_id})


def _settle_scope(conn: Connection, run_id: str, full: bool) -> _Scope:
    """Complete ``reconcile_scope``, which holds the claimed people: everyone if ``full``,
    and everyone with an open stay when the as-of date moved since the nights were last
    built. On PostgreSQL the scope and the stays are analyzed here, before either
    connection plans over them."""
    as_of = _as_date(query_sql(conn, "reconcile/as_of_date")[0][0])
    if as_of is None:
        return _Scope(None, 0)
    state = query_sql(conn, "reconcile/state")
    nights_as_of = _as_date(state[0][1]) if state else None
    if full:
        run_sql(conn, "reconcile/scope_everyone", {"run_id": run_id})
    if nights_as_of != as_of:
        run_sql(conn, "reconcile/scope_open_stays", {"run_id": run_id})
    size = int(conn.execute(sa.text("SELECT COUNT(*) FROM reconcile_scope")).scalar_one())
    run_sql(conn, "reconcile/analyze_scope")
    return _Scope(as_of, size)


def _publish(conn: Connection, summary: ReconcileSummary, rule_codes: list[str], as_of: date) -> None:
    """Merge this run's candidates into the flags, and clear flags the data resolved."""
    now = now_utc()
    classified = query_frame(conn, "flags/classify_candidates", copy_out=True)
    resolved = query_frame(conn, "flags/resolved", {"rule_codes": rule_codes}, copy_out=True)
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
