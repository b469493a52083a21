"""Ingest of one landed file: register, parse, validate, quarantine, merge, prove conservation.

A file is processed in chunks (bounded memory). Each chunk's good rows go to the feed's
staging table and its bad rows to quarantine with every reason; the merge into history
and current tables then runs in one transaction together with the ledger update and the
conservation check (rows read = loaded + quarantined + exact duplicates). A crash at any
point leaves the ledger entry ``REGISTERED``; the next attempt clears the leftovers of the
previous one and starts again, so the final state is the same.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from timpora import metrics
from timpora.config import Settings, get_settings
from timpora.feeds.contracts import Feed, LandingKey, parse_landing_key
from timpora.feeds.normalise import TEXT
from timpora.feeds.parsing import STORED_COLUMNS, FileReadState, ParsedBatch, iter_raw_lines, read_feed_file
from timpora.feeds.reading import FileRejected
from timpora.feeds.structure import Rejected, reason
from timpora.ingest.ledger import LedgerEntry, get_entry, now_utc, pending_entries, register
from timpora.landing.store import LandingStore, landing_store, sha256_of
from timpora.reference import nationality_codes, regency_codes
from timpora.reference.visa_catalogue import all_index_codes
from timpora.validation.runner import validator_for
from timpora.warehouse.bulk import insert_frame
from timpora.warehouse.db import query_sql, run_sql, transaction, warehouse_engine
from timpora.warehouse.locks import exclusive

log = logging.getLogger(__name__)

STAGING_TABLE = {Feed.VISA: "stg_visa", Feed.STAY_PERMIT: "stg_stay_permit", Feed.HOTEL_GUEST: "stg_hotel_guest_event"}
# The parts of a merge, each timed as ``merge: <part>`` in the stage figures: the rows
# stored in the history, the current state (visa, permit, folded stay) recomputed from
# it, and the people marked for the next reconcile.
MERGE_PARTS = ("history", "current state", "reconcile marks")
_HISTORY, _CURRENT, _MARKS = MERGE_PARTS
# The SQL files of each feed's merge, run in order in the merge's one transaction, with
# the part each belongs to.
MERGE_STEPS: dict[Feed, tuple[tuple[str, str], ...]] = {
    Feed.VISA: (("history", _HISTORY), ("current", _CURRENT), ("marks", _MARKS)),
    Feed.STAY_PERMIT: (("history", _HISTORY), ("current", _CURRENT), ("marks", _MARKS)),
    # The marks name the people of the stays as they stand, so they come before the fold.
    Feed.HOTEL_GUEST: (("history", _HISTORY), ("analyze_touched", _CURRENT), ("marks", _MARKS), ("fold", _CURRENT)),
}


def merge_stage(part: str) -> str:
    """The stage figure a part of the merge is timed as."""
    return f"merge: {part}"


HISTORY_TABLE = {
    Feed.VISA: "visa_history",
    Feed.STAY_PERMIT: "stay_permit_history",
    Feed.HOTEL_GUEST: "hotel_guest_event",
}
_EPOCH = pd.Timestamp("1970-01-01")


class ConservationError(RuntimeError):
    """Rows read differ from rows loaded + quarantined + exact duplicates: a row went missing."""


@dataclass(frozen=True)
class IngestResult:
    """What became of one landed file."""

    ledger_id: str
    object_key: str
    feed: str
    status: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    note: str | None = None
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _result(entry: LedgerEntry, skipped: bool) -> IngestResult:
    return IngestResult(
        ledger_id=entry.ledger_id,
        object_key=entry.object_key,
        feed=entry.feed,
        status=entry.status,
        rows_read=entry.rows_read or 0,
        rows_loaded=entry.rows_loaded or 0,
        rows_quarantined=entry.rows_quarantined or 0,
        rows_duplicate=entry.rows_duplicate or 0,
        note=entry.note,
        skipped=skipped,
    )


@lru_cache(maxsize=1)
def _code_lists() -> dict[str, list[str]]:
    return {
        "regency_codes": sorted(regency_codes()),
        "nationality_codes": sorted(nationality_codes()),
        "visa_index_codes": sorted(all_index_codes()),
    }


def validation_parameters(landing: LandingKey) -> dict[str, Any]:
    """Values the suites take as ``$PARAMETER``: code lists and what the file name promises."""
    latest = datetime.combine(landing.landing_date + timedelta(days=1), time(23, 59, 59))
    return {
        **_code_lists(),
        "file_source_ids": [landing.source_id] if landing.source_id else [],
        # A file landing on day D may carry local times up to the end of D+1 (time zones).
        "latest_time": latest.isoformat(),
    }


# --- registering ----------------------------------------------------------------------------


def register_object(key: str, settings: Settings | None = None, store: LandingStore | None = None) -> LedgerEntry:
    """Register one landed object in the ledger (idempotent)."""
    settings = settings or get_settings()
    store = store or landing_store(settings)
    etag = store.stat(key).etag
    with store.local_copy(key) as path:
        return _register_path(key, path, settings, etag)


def _register_path(key: str, path: Path, settings: Settings, etag: str | None = None) -> LedgerEntry:
    digest = sha256_of(path)
    with transaction(warehouse_engine(settings)) as conn:
        return register(conn, key, digest, path.stat().st_size, etag)


# --- processing -----------------------------------------------------------------------------


def ingest_key(key: str, settings: Settings | None = None, store: LandingStore | None = None) -> IngestResult:
    """Register and process one landed object, reading it once."""
    settings = settings or get_settings()
    store = store or landing_store(settings)
    etag = store.stat(key).etag
    with store.local_copy(key) as path:
        entry = _register_path(key, path, settings, etag)
        return process_entry(entry, path, settings)


def ingest_keys(keys: Iterable[str], settings: Settings | None = None) -> list[IngestResult]:
    """Ingest landed objects one after another, then rebuild the Data Docs index once."""
    settings = settings or get_settings()
    store = landing_store(settings)
    results = [ingest_key(key, settings, store) for key in keys]
    if results:
        publish_docs_index(settings)
    return results


def publish_docs_index(settings: Settings | None = None) -> None:
    """Rebuild the Data Docs index over the newest validation results. Each file's own
    result page is rendered as the file is ingested; the index, which GX builds by reading
    every result it lists, once per batch of files (an ingest run's last step)."""
    settings = settings or get_settings()
    with metrics.stage("data docs index"):
        validator_for(settings.gx_dir, settings.expectations_dir).publish_docs_index()


def ingest_pending(feed: Feed, settings: Settings | None = None) -> list[IngestResult]:
    """Process every registered, unprocessed file of a feed (oldest landing first)."""
    settings = settings or get_settings()
    store = landing_store(settings)
    engine = warehouse_engine(settings)
    with engine.connect() as conn:
        ids = pending_entries(conn, feed)
    results = []
    for ledger_id in ids:
        with engine.connect() as conn:
            entry = get_entry(conn, ledger_id)
        if entry is None or entry.done:
            continue
        if not store.exists(entry.object_key):
            log.warning("ledger %s: object %s is no longer in the landing zone", ledger_id, entry.object_key)
            continue
        with store.local_copy(entry.object_key) as path:
            if sha256_of(path) != entry.content_sha256:
                # The object was overwritten after registration; its new body is a new version.
                newer = _register_path(entry.object_key, path, settings)
                results.append(process_entry(newer, path, settings))
                continue
            results.append(process_entry(entry, path, settings))
    if results:
        publish_docs_index(settings)
    return results


def process_entry(entry: LedgerEntry, path: Path, settings: Settings) -> IngestResult:
    """Process a registered file whose body is at ``path``; a no-op if already done."""
    if entry.done:
        return _result(entry, skipped=True)
    engine = warehouse_engine(settings)
    # A worker processing the same file holds this lock: wait for it rather than skip, so
    # that when this call returns the file is done and the run's conservation check holds.
    # Then the file is found done (skipped), or, if that worker died, processed here.
    with exclusive(settings, f"ledger:{entry.ledger_id}", wait=True):
        with engine.connect() as conn:
            current = get_entry(conn, entry.ledger_id)
        if current is None or current.done:
            return _result(current or entry, skipped=True)
        with transaction(engine) as conn:
            run_sql(conn, "ingest/clear_attempt", {"ledger_id": entry.ledger_id})
        try:
            return _process(entry, path, settings)
        except FileRejected as rejection:
            with transaction(engine) as conn:
                run_sql(conn, "ingest/clear_attempt", {"ledger_id": entry.ledger_id})
            return _reject_file(entry, path, settings, rejection)


def _process(entry: LedgerEntry, path: Path, settings: Settings) -> IngestResult:
    landing = parse_landing_key(entry.object_key)
    feed = landing.feed
    engine = warehouse_engine(settings)
    validator = validator_for(settings.gx_dir, settings.expectations_dir)
    parameters = validation_parameters(landing)
    state = FileReadState()
    rows_read = 0
    blank_lines = 0
    batches = read_feed_file(feed, path, landing, settings.chunk_rows, state)
    number = 0
    while True:
        with metrics.stage("parse and normalise"):
            batch = next(batches, None)
        if batch is None:
            break
        metrics.count("parse and normalise", len(batch.frame) + len(batch.rejected))
        with metrics.stage("validate and quarantine", len(batch.frame)):
            outcome = validator.validate(feed, batch.frame, parameters, run_name=f"{entry.ledger_id}-{number:04d}")
            failed = pd.Series(outcome.failed, index=batch.frame.index)
            good = batch.frame[~failed]
            quarantined = _validation_rejects(batch, outcome.reasons)
        number += 1
        rows_read += len(batch.frame) + len(batch.rejected)
        blank_lines += batch.blank_lines
        with metrics.stage("stage rows", len(good)), transaction(engine) as conn:
            insert_frame(
                conn, STAGING_TABLE[feed], staging_frame(feed, good, entry, landing), types_from=HISTORY_TABLE[feed]
            )
            _insert_quarantine(conn, entry, quarantined, scope="row")
    note = None
    with transaction(engine, settings.pg_work_mem) as conn:
        with metrics.stage("merge", rows_read):
            for step, part in MERGE_STEPS[feed]:
                with metrics.stage(merge_stage(part)):
                    run_sql(conn, f"ingest/{feed.value}/{step}", {"ledger_id": entry.ledger_id})
        staged, loaded = query_sql(conn, f"ingest/{feed.value}/counts", {"ledger_id": entry.ledger_id})[0]
        quarantined_rows = query_sql(conn, "ingest/quarantined_rows", {"ledger_id": entry.ledger_id})[0][0]
        duplicates = int(staged) - int(loaded)
        if rows_read != int(loaded) + int(quarantined_rows) + duplicates:
            raise ConservationError(
                f"{entry.object_key}: read {rows_read} rows but loaded {loaded} + quarantined "
                f"{quarantined_rows} + exact duplicates {duplicates} = "
                f"{int(loaded) + int(quarantined_rows) + duplicates}"
            )
        if rows_read == 0:
            note = "header only: the file has no data rows"
            file_reject = Rejected()
            file_reject.add(0, "", [reason("file", note, "hanya baris judul: berkas tidak memuat baris data")])
            _insert_quarantine(conn, entry, file_reject, scope="file")
        run_sql(conn, "ingest/staging_done", {"ledger_id": entry.ledger_id})
        # The file is reported done only once its validation results are in the Data Docs.
        validator.flush_docs()
        run_sql(
            conn,
            "ingest/ledger_finish",
            {
                "ledger_id": entry.ledger_id,
                "status": "LOADED",
                "encoding": state.encoding,
                "rows_read": rows_read,
                "rows_loaded": int(loaded),
                "rows_quarantined": int(quarantined_rows),
                "rows_duplicate": duplicates,
                "blank_lines": blank_lines,
                "note": note,
                "loaded_at": now_utc(),
            },
        )
    log.info(
        "%s: read %d, loaded %d, quarantined %d, duplicates %d",
        entry.object_key,
        rows_read,
        loaded,
        quarantined_rows,
        duplicates,
    )
    return IngestResult(
        entry.ledger_id,
        entry.object_key,
        feed.value,
        "LOADED",
        rows_read,
        int(loaded),
        int(quarantined_rows),
        duplicates,
        note,
    )


def _reject_file(entry: LedgerEntry, path: Path, settings: Settings, rejection: FileRejected) -> IngestResult:
    """Quarantine every line of a file that cannot be read as the contract says."""
    why = rejection.reason
    engine = warehouse_engine(settings)
    file_reason = reason("file", f"file rejected: {why}", f"berkas ditolak: {why}")
    rows_read = 0
    try:
        encoding = rejection.readable_as or _guess_encoding(path)
        for chunk in iter_raw_lines(path, encoding, settings.chunk_rows):
            rejected = Rejected()
            for offset, line in enumerate(chunk.lines):
                line_no = chunk.first_line_no + offset
                raw = chunk.oversize[line_no][1] if line_no in chunk.oversize else line
                if raw.strip():
                    rejected.add(line_no, raw, [file_reason])
            rows_read += len(rejected)
            with transaction(engine) as conn:
                _insert_quarantine(conn, entry, rejected, scope="row")
    except (OSError, EOFError, zlib.error) as exc:  # an unreadable gzip stream, for instance
        log.warning("%s: lines of a rejected file could not be listed: %s", entry.object_key, exc)
    with transaction(engine) as conn:
        summary = Rejected()
        summary.add(0, "", [file_reason])
        _insert_quarantine(conn, entry, summary, scope="file")
        quarantined_rows = query_sql(conn, "ingest/quarantined_rows", {"ledger_id": entry.ledger_id})[0][0]
        if int(quarantined_rows) != rows_read:
            raise ConservationError(f"{entry.object_key}: {rows_read} lines but {quarantined_rows} quarantined")
        run_sql(
            conn,
            "ingest/ledger_finish",
            {
                "ledger_id": entry.ledger_id,
                "status": "REJECTED",
                "encoding": None,
                "rows_read": rows_read,
                "rows_loaded": 0,
                "rows_quarantined": rows_read,
                "rows_duplicate": 0,
                "blank_lines": None,
                "note": f"file rejected: {why}",
                "loaded_at": now_utc(),
            },
        )
    log.warning("%s rejected: %s", entry.object_key, why)
    return IngestResult(
        entry.ledger_id, entry.object_key, entry.feed, "REJECTED", rows_read, 0, rows_read, 0, f"file rejected: {why}"
    )


def _guess_encoding(path: Path) -> str | None:
    from timpora.feeds.reading import detect_encoding

    try:
        return detect_encoding(path)
    except FileRejected:
        return None


# --- frames for the warehouse ---------------------------------------------------------------


def _epoch_seconds(values: pd.Series) -> pd.Series:
    return ((values - _EPOCH) // pd.Timedelta(seconds=1)).astype("Int64")


def staging_frame(feed: Feed, rows: pd.DataFrame, entry: LedgerEntry, landing: LandingKey) -> pd.DataFrame:
    """Good rows of a batch, shaped like the feed's history table."""
    frame = rows[STORED_COLUMNS[feed]].copy()
    frame["ledger_id"] = entry.ledger_id
    frame["line_no"] = rows["line_no"].astype("int64")
    frame["row_hash"] = rows["row_hash"]
    prefix = f"{landing.landing_date.isoformat()}|{entry.object_key}|{entry.object_version:06d}|"
    frame["arrival_key"] = prefix + rows["line_no"].astype(TEXT).str.zfill(9)
    if feed is Feed.HOTEL_GUEST:
        frame["check_in_epoch"] = _epoch_seconds(rows["check_in_utc"])
        frame["check_out_epoch"] = _epoch_seconds(rows["check_out_utc"])
        frame["reported_at_epoch"] = _epoch_seconds(rows["reported_at_utc"])
        frame["check_in_date"] = rows["check_in_local"].dt.normalize()
        frame["check_out_date"] = rows["check_out_local"].dt.normalize()
    return frame


def _validation_rejects(batch: ParsedBatch, reasons: pd.Series) -> Rejected:
    rejected = Rejected()
    rejected.extend(batch.rejected)
    if len(reasons):
        positions = reasons.index.to_numpy()
        rejected.add_encoded(
            batch.frame["line_no"].to_numpy()[positions].tolist(),
            batch.frame["raw"].astype(str).to_numpy()[positions].tolist(),
            reasons.tolist(),
        )
    return rejected


def _insert_quarantine(conn: Connection, entry: LedgerEntry, rejected: Rejected, scope: str) -> None:
    if not len(rejected):
        return
    frame = pd.DataFrame(
        {
            "ledger_id": entry.ledger_id,
            "line_no": rejected.line_no,
            "feed": entry.feed,
            "object_key": entry.object_key,
            "scope": scope,
            "raw": rejected.raw,
            "reasons": rejected.reasons,
            "quarantined_at": pd.Timestamp(now_utc()),
        }
    )
    insert_frame(conn, "quarantine", frame)


def landing_dates(keys: Iterable[str]) -> list[date]:
    """Landing dates named by keys (for logs and the as-of date)."""
    return sorted({parse_landing_key(key).landing_date for key in keys})
