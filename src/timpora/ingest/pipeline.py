"""Ingest of landed files: register, parse, validate, quarantine, merge, prove conservation.

A file is processed in chunks (bounded memory), and small files of one feed and landing
date together (:func:`plan_groups`): their chunks are validated in batches of up to
``chunk_rows`` rows, one GX checkpoint each. Each batch's good rows go to the feed's
staging table and its bad rows to quarantine with every reason, each under its own file.
The merge into history and current tables then runs in one transaction together with
each file's ledger update and conservation check (rows read = loaded + quarantined +
exact duplicates). A crash at any point leaves the ledger entries ``REGISTERED``; the
next attempt clears the leftovers of the previous one and starts again, so the final
state is the same.
"""

from __future__ import annotations

import itertools
import logging
import zlib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from timpora import metrics
from timpora.config import Settings, get_settings
from timpora.feeds.contracts import Feed, InvalidLandingKey, LandingKey, parse_landing_key
from timpora.feeds.normalise import TEXT
from timpora.feeds.parsing import (
    STORED_COLUMNS,
    FileReadState,
    ParsedBatch,
    iter_raw_lines,
    normalise_records,
    read_feed_records,
    with_file_source,
)
from timpora.feeds.reading import FileRejected, LineChunk, iter_line_chunks
from timpora.feeds.structure import Rejected, reason
from timpora.ingest.ledger import (
    LedgerEntry,
    ProcessedBody,
    close_as_duplicate_body,
    get_entry,
    now_utc,
    pending_entries,
    processed_bodies,
    read_alike,
    register,
    register_refused,
)
from timpora.landing.store import LandingRefused, LandingStore, landing_store, sha256_of
from timpora.reference import nationality_codes, regency_codes
from timpora.reference.visa_catalogue import all_index_codes
from timpora.validation.runner import FeedValidator, validator_for
from timpora.warehouse.bulk import insert_frame
from timpora.warehouse.db import query_sql, run_sql, transaction, warehouse_engine
from timpora.warehouse.locks import exclusive_all

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
    """Values the suites take as ``$PARAMETER``: code lists and the latest local time a file
    landing that day may carry. What a file's name promises of each row (its lodging or
    office) travels in the rows themselves (``file_source_id``), so one checkpoint judges
    rows of many files."""
    latest = datetime.combine(landing.landing_date + timedelta(days=1), time(23, 59, 59))
    return {
        **_code_lists(),
        # A file landing on day D may carry local times up to the end of D+1 (time zones).
        "latest_time": latest.isoformat(),
    }


# --- registering ----------------------------------------------------------------------------


def register_object(key: str, settings: Settings | None = None, store: LandingStore | None = None) -> LedgerEntry:
    """Register one landed object in the ledger (idempotent). An object that is refused
    (a symbolic link, an unreadable file) or whose key breaks the landing layout is
    registered as rejected, its lines counted and quarantined where it can be read."""
    settings = settings or get_settings()
    store = store or landing_store(settings)
    try:
        with store.local_copy(key) as copy:
            entry = _register_path(key, copy.path, settings, copy.etag)
            return _reject_invalid_key(entry, copy.path, settings)
    except LandingRefused as refused:
        return _register_refused(key, store, settings, refused)


def _register_refused(key: str, store: LandingStore, settings: Settings, refused: LandingRefused) -> LedgerEntry:
    etag = store.stat(key).etag
    with transaction(warehouse_engine(settings)) as conn:
        entry = register_refused(conn, key, etag, refused.reason)
        if not query_sql(conn, "ingest/quarantine_entries", {"ledger_id": entry.ledger_id})[0][0]:
            summary = Rejected()
            summary.add(0, "", [reason("file", f"refused: {refused.reason}", f"ditolak: {refused.reason_id}")])
            whole = _Quarantine()
            whole.add(entry, summary)
            whole.insert(conn, entry.feed, scope="file")
    log.warning("%s refused: %s", key, refused.reason)
    return entry


def _reject_invalid_key(entry: LedgerEntry, path: Path, settings: Settings) -> LedgerEntry:
    """A file registered as rejected for its key: its lines, counted and quarantined with
    the reason, once (a repeat registration finds them counted)."""
    if entry.status != "REGISTERED" or not entry.invalid_key:
        return entry
    with transaction(warehouse_engine(settings)) as conn:
        run_sql(conn, "ingest/clear_attempt", {"ledger_ids": [entry.ledger_id]})
    why = (entry.note or "").removeprefix("invalid landing key: ")
    _reject_file(
        entry,
        path,
        settings,
        FileRejected(f"invalid landing key: {why}", f"kunci pendaratan tidak sah: {why}"),
    )
    with warehouse_engine(settings).connect() as conn:
        return get_entry(conn, entry.ledger_id) or entry


def _register_path(key: str, path: Path, settings: Settings, etag: str | None = None) -> LedgerEntry:
    digest = sha256_of(path)
    with transaction(warehouse_engine(settings)) as conn:
        return register(conn, key, digest, path.stat().st_size, etag)


# --- processing -----------------------------------------------------------------------------


def ingest_key(key: str, settings: Settings | None = None, store: LandingStore | None = None) -> IngestResult:
    """Register and process one landed object, reading it once."""
    return ingest_group([key], settings, store)[0]


def ingest_group(
    keys: Sequence[str], settings: Settings | None = None, store: LandingStore | None = None
) -> list[IngestResult]:
    """Register landed objects of one feed and landing date and process them together
    (:func:`process_entries`); one result per key, in the keys' order."""
    settings = settings or get_settings()
    store = store or landing_store(settings)
    files: list[tuple[LedgerEntry, Path]] = []
    by_key: dict[str, IngestResult] = {}
    with ExitStack() as copies:
        for key in dict.fromkeys(key.lstrip("/") for key in keys):
            try:
                copy = copies.enter_context(store.local_copy(key))
            except LandingRefused as refused:
                # Rejected on its own: the group's other files go on.
                by_key[key] = _result(_register_refused(key, store, settings, refused), skipped=False)
                continue
            entry = _register_path(key, copy.path, settings, copy.etag)
            if entry.invalid_key:
                by_key[key] = _result(_reject_invalid_key(entry, copy.path, settings), skipped=entry.done)
                continue
            files.append((entry, copy.path))
        processed = process_entries(files, settings)
        by_key |= {entry.object_key: result for (entry, _), result in zip(files, processed, strict=True)}
    return [by_key[key.lstrip("/")] for key in keys]


def register_ahead(
    groups: Sequence[Sequence[str]], settings: Settings | None = None, store: LandingStore | None = None
) -> None:
    """Register the files of a feed that comes in several groups before the groups run in
    parallel (an ingest DAG run's mapped tasks), so each group sees the others' bodies: of
    two identical bodies in two groups, the first landed is processed, whichever group runs
    first (:func:`_twins`). Costs one more read of each such file (to hash it); a feed in
    one group needs none."""
    settings = settings or get_settings()
    store = store or landing_store(settings)
    per_feed: dict[str, list[Sequence[str]]] = {}
    for group in groups:
        per_feed.setdefault(group[0].split("/", 1)[0], []).append(group)
    for feed_groups in per_feed.values():
        if len(feed_groups) > 1:
            for group in feed_groups:
                for key in group:
                    register_object(key, settings, store)


def plan_groups(sizes: Mapping[str, int], settings: Settings | None = None) -> list[list[str]]:
    """Landing keys (with their sizes in bytes) in groups to be processed together.

    A day may land as one export per feed or as a file per lodging and office: thousands
    of files of a few dozen rows. Each processing has a fixed cost (GX's checkpoint alone
    is about half a second), so small files of one feed and landing date are grouped: a
    group holds at most ``ingest_group_bytes`` and ``ingest_group_files``, and a file
    larger than the byte budget is a group of its own. The small files of a feed and day
    are spread over at least ``ingest_group_spread`` groups of about equal bytes (when
    there are that many files), so that the ingest run's parallel tasks share them. Keys
    keep their order within a group.
    """
    settings = settings or get_settings()
    groups: list[list[str]] = []
    slots: dict[tuple[Feed, date], list[tuple[str, int]]] = {}
    for key, size in sorted(sizes.items(), key=lambda item: _landing_order(item[0])):
        try:
            landing = parse_landing_key(key)
        except InvalidLandingKey:
            groups.append([key])  # registered as rejected, on its own
            continue
        if size > settings.ingest_group_bytes:
            groups.append([key])
        else:
            slots.setdefault((landing.feed, landing.landing_date), []).append((key, size))
    for files in slots.values():
        groups += _spread(files, settings)
    return groups


def _landing_order(key: str) -> tuple[str, str]:
    """Landing date (from the key), then the key: the order rows are taken to arrive in."""
    try:
        return (parse_landing_key(key).landing_date.isoformat(), key)
    except InvalidLandingKey:
        return ("", key)


def _spread(files: list[tuple[str, int]], settings: Settings) -> list[list[str]]:
    """Small files of one feed and day in contiguous groups of about equal bytes, within
    both budgets."""
    total = sum(size for _, size in files) or 1
    count = max(
        -(-total // settings.ingest_group_bytes),
        -(-len(files) // settings.ingest_group_files),
        min(len(files), settings.ingest_group_spread),
    )
    groups: list[list[str]] = []
    used = 0
    before = 0  # bytes of the files before this one
    for key, size in files:
        # The group whose share of the bytes this file's middle falls in.
        share = min(count - 1, int((before + size / 2) * count / total))
        next_share = bool(groups) and share >= len(groups) and len(groups) < count
        full = bool(groups) and (
            used + size > settings.ingest_group_bytes or len(groups[-1]) >= settings.ingest_group_files
        )
        if not groups or next_share or full:
            groups.append([])
            used = 0
        groups[-1].append(key)
        used += size
        before += size
    return groups


def ingest_keys(keys: Iterable[str], settings: Settings | None = None) -> list[IngestResult]:
    """Ingest landed objects, small ones in groups (:func:`plan_groups`), then rebuild the
    Data Docs index once. One result per distinct key, in the keys' order."""
    settings = settings or get_settings()
    store = landing_store(settings)
    sizes = {key: store.stat(key).size for key in dict.fromkeys(key.lstrip("/") for key in keys)}
    # One group after another, in landing order (plan_groups): of two identical bodies the
    # first landed is always processed first, so nothing needs registering ahead.
    results = [result for group in plan_groups(sizes, settings) for result in ingest_group(group, settings, store)]
    order = {key: number for number, key in enumerate(sizes)}
    results.sort(key=lambda result: order[result.object_key])
    if results:
        publish_docs_index(settings)
    return results


def publish_docs_index(settings: Settings | None = None) -> None:
    """Rebuild the Data Docs index over the newest validation results. Each file's own
    result page is rendered as the file is ingested; the index, which GX builds by reading
    every result it lists, once per batch of files (an ingest run's last step), after the
    results older than ``TIMPORA_GX_RESULTS_DAYS`` and their pages are removed."""
    settings = settings or get_settings()
    with metrics.stage("data docs index"):
        validator_for(settings.gx_dir, settings.expectations_dir).publish_docs_index(settings.gx_results_days)


def ingest_pending(feed: Feed, settings: Settings | None = None) -> list[IngestResult]:
    """Process every registered, unprocessed file of a feed (oldest landing first). An
    object overwritten since it was registered is registered again: its new body is the
    key's next version."""
    settings = settings or get_settings()
    store = landing_store(settings)
    engine = warehouse_engine(settings)
    with engine.connect() as conn:
        entries = [get_entry(conn, ledger_id) for ledger_id in pending_entries(conn, feed)]
    keys = []
    for entry in entries:
        if entry is None or entry.done:
            continue
        if not store.exists(entry.object_key):
            log.warning("ledger %s: object %s is no longer in the landing zone", entry.ledger_id, entry.object_key)
            continue
        keys.append(entry.object_key)
    return ingest_keys(keys, settings) if keys else []


def process_entries(files: Sequence[tuple[LedgerEntry, Path]], settings: Settings) -> list[IngestResult]:
    """Process registered files of one feed and landing date together; a no-op for those
    already done. One result per file, in order.

    Their rows are validated in batches of up to ``chunk_rows`` (rows of many small files
    in one GX checkpoint; each row is judged against its own file's name) and merged in
    one transaction, with each file's ledger entry and conservation check. A file that
    cannot be read as its contract says is rejected on its own; the others go on.
    """
    if not files:
        return []
    engine = warehouse_engine(settings)
    results: dict[str, IngestResult] = {}
    # A worker processing the same files holds their locks: wait for it rather than skip,
    # so that when this call returns the files are done and the run's conservation check
    # holds. Then they are found done (skipped), or, if that worker died, processed here.
    with exclusive_all(settings, [f"ledger:{entry.ledger_id}" for entry, _ in files]):
        todo: dict[str, _File] = {}
        with engine.connect() as conn:
            for entry, path in files:
                current = get_entry(conn, entry.ledger_id)
                if current is None or current.done:
                    results[entry.ledger_id] = _result(current or entry, skipped=True)
                elif current.invalid_key:
                    results[entry.ledger_id] = _result(_reject_invalid_key(current, path, settings), skipped=False)
                elif entry.ledger_id not in todo:
                    todo[entry.ledger_id] = _File(current, path, parse_landing_key(current.object_key))
        slots = sorted({f"{file.landing.feed.value} {file.landing.landing_date}" for file in todo.values()})
        if len(slots) > 1:
            raise ValueError(f"files processed together must share one feed and landing date, not {slots}")
        if todo:
            with transaction(engine) as conn:
                run_sql(conn, "ingest/clear_attempt", {"ledger_ids": list(todo)})
            twins = _twins(todo, engine)
            # Twins of files processed before, or waiting in another group: closed now.
            # Twins of files of this processing: closed once those are processed.
            here = {ledger_id: twin for ledger_id, twin in twins.items() if isinstance(twin, str) and twin in todo}
            results.update(_close_twins({k: v for k, v in twins.items() if k not in here}, results, todo, settings))
            originals = [file for ledger_id, file in todo.items() if ledger_id not in results and ledger_id not in here]
            for result in _process(originals, settings) if originals else []:
                results[result.ledger_id] = result
            results.update(_close_twins(here, results, todo, settings))
    return [results[entry.ledger_id] for entry, _ in files]


def _twins(todo: Mapping[str, _File], engine: Engine) -> dict[str, ProcessedBody | str]:
    """Files not to process, each with what its body is byte-identical to: a file of the
    feed already processed, or one that landed before it (landing date, key, version: the
    order rows arrive in) and is processed here or in another group or run. So the first
    landed of two identical bodies is the one processed, however the two are grouped and
    in whatever order the groups run. Empty bodies are never twins."""
    feed = next(iter(todo.values())).landing.feed
    digests = sorted({file.entry.content_sha256 for file in todo.values() if file.path.stat().st_size})
    if not digests:
        return {}
    with engine.connect() as conn:
        processed = processed_bodies(conn, digests, feed)
        waiting = query_sql(conn, "ingest/ledger_registered_bodies", {"digests": digests, "feed": feed.value})
    earlier: dict[str, tuple[tuple[str, str, int], str]] = {}
    for row in waiting:  # registered, not processed yet: here or in another group
        order = (str(row.landing_date)[:10], row.object_key, int(row.object_version))
        if row.content_sha256 not in earlier or order < earlier[row.content_sha256][0]:
            earlier[row.content_sha256] = (order, row.ledger_id)
    keys = {row.ledger_id: row.object_key for row in waiting}
    twins: dict[str, ProcessedBody | str] = {}
    for file in todo.values():
        digest, key = file.entry.content_sha256, file.entry.object_key
        if not file.path.stat().st_size:
            continue
        if digest in processed and read_alike(processed[digest].object_key, key):
            twins[file.entry.ledger_id] = processed[digest]
        elif (
            digest in earlier
            and earlier[digest][1] != file.entry.ledger_id
            and read_alike(keys[earlier[digest][1]], key)
        ):
            twins[file.entry.ledger_id] = earlier[digest][1]
    return twins


def _close_twins(
    twins: Mapping[str, ProcessedBody | str],
    results: Mapping[str, IngestResult],
    todo: Mapping[str, _File],
    settings: Settings,
) -> dict[str, IngestResult]:
    """Close the set-aside files as ``DUPLICATE_BODY`` of their twins. A twin processed
    here or before gives its rows read; one still waiting in another group has not read
    them yet, so the file's own rows are counted, by the same reader (the bodies are the
    same bytes, so the counts are too)."""
    if not twins:
        return {}
    engine = warehouse_engine(settings)
    originals: dict[str, ProcessedBody] = {}
    with engine.connect() as conn:
        for ledger_id, original in twins.items():
            if isinstance(original, ProcessedBody):
                originals[ledger_id] = original
            elif original in results:
                done = results[original]
                originals[ledger_id] = ProcessedBody(done.ledger_id, done.object_key, done.status, done.rows_read)
            else:
                waiting = get_entry(conn, original)
                rows = _count_rows(todo[ledger_id], settings)
                if waiting is None or rows is None:
                    continue  # cannot be counted as its twin would be: it is processed on its own
                originals[ledger_id] = ProcessedBody(waiting.ledger_id, waiting.object_key, "registered", rows)
    with transaction(engine) as conn:
        for ledger_id, original in originals.items():
            close_as_duplicate_body(conn, ledger_id, original)
        closed = [get_entry(conn, ledger_id) for ledger_id in originals]
    return {entry.ledger_id: _result(entry, skipped=False) for entry in closed if entry is not None}


def _count_rows(file: _File, settings: Settings) -> int | None:
    """Rows the reader finds in a file (records and lines that do not split), or None when
    it rejects the file."""
    rows = 0
    try:
        for batch in read_feed_records(file.landing.feed, file.path, settings.chunk_rows, FileReadState()):
            rows += len(batch.frame) + len(batch.rejected)
    except FileRejected:
        return None
    return rows


@dataclass
class _File:
    """One file of a processing, and what reading it found."""

    entry: LedgerEntry
    path: Path
    landing: LandingKey
    state: FileReadState = field(default_factory=FileReadState)
    rows_read: int = 0
    blank_lines: int = 0
    rejection: FileRejected | None = None


def _process(files: list[_File], settings: Settings) -> list[IngestResult]:
    feed = files[0].landing.feed
    engine = warehouse_engine(settings)
    validator = validator_for(settings.gx_dir, settings.expectations_dir)
    parameters = validation_parameters(files[0].landing)
    run_names = (f"{files[0].entry.ledger_id}-{number:04d}" for number in itertools.count())
    pending: list[tuple[_File, ParsedBatch]] = []
    pending_rows = 0
    for file in files:
        batches = read_feed_records(feed, file.path, settings.chunk_rows, file.state)
        try:
            while True:
                with metrics.stage("parse and normalise"):
                    batch = next(batches, None)
                if batch is None:
                    break
                read = len(batch.frame) + len(batch.rejected)
                metrics.count("parse and normalise", read)
                file.rows_read += read
                file.blank_lines += batch.blank_lines
                pending.append((file, batch))
                pending_rows += read
                if pending_rows >= settings.chunk_rows:
                    _validate_and_stage(feed, pending, validator, parameters, next(run_names), engine)
                    pending, pending_rows = [], 0
        except FileRejected as rejection:
            file.rejection = rejection
            pending = [(owner, batch) for owner, batch in pending if owner is not file]
            pending_rows = sum(len(batch.frame) + len(batch.rejected) for _, batch in pending)
    if pending:
        _validate_and_stage(feed, pending, validator, parameters, next(run_names), engine)
    results = []
    for file in files:
        if file.rejection is not None:
            # Rows of its chunks validated and staged before the fault are dropped with it.
            with transaction(engine) as conn:
                run_sql(conn, "ingest/clear_attempt", {"ledger_ids": [file.entry.ledger_id]})
            results.append(_reject_file(file.entry, file.path, settings, file.rejection))
    readable = [file for file in files if file.rejection is None]
    if readable:
        results += _merge(feed, readable, validator, engine, settings)
    return results


def _validate_and_stage(
    feed: Feed,
    pending: list[tuple[_File, ParsedBatch]],
    validator: FeedValidator,
    parameters: Mapping[str, Any],
    run_name: str,
    engine: Engine,
) -> None:
    """Normalise and validate chunks read (of one file or of many) at once; stage the
    good rows and quarantine the bad ones, each under its own file."""
    frames = [batch.frame for _, batch in pending]
    # Row position -> the pending chunk it came from, and that chunk's file.
    owner = np.repeat(np.arange(len(pending)), [len(part) for part in frames])
    ledger_ids = np.array([file.entry.ledger_id for file, _ in pending], dtype=object)
    object_keys = np.array([file.entry.object_key for file, _ in pending], dtype=object)
    with metrics.stage("parse and normalise"):
        records = frames[0].reset_index(drop=True) if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        frame = normalise_records(feed, records)
        if pending[0][0].landing.source_id is not None:
            source_ids = np.array([file.landing.source_id for file, _ in pending], dtype=object)
            frame = with_file_source(frame, source_ids[owner])
    with metrics.stage("validate and quarantine", len(frame)):
        outcome = validator.validate(feed, frame, parameters, run_name=run_name)
        good = np.flatnonzero(~outcome.failed)
        prefixes = np.array([_arrival_prefix(file) for file, _ in pending], dtype=object)
        staged = staging_frame(feed, frame.iloc[good], ledger_ids[owner[good]], prefixes[owner[good]])
        quarantined = _Quarantine()
        for file, batch in pending:
            quarantined.add(file.entry, batch.rejected)
        failing = outcome.reasons.index.to_numpy()
        if len(failing):
            rows = Rejected()
            rows.add_encoded(
                frame["line_no"].to_numpy()[failing].tolist(),
                frame["raw"].astype(str).to_numpy()[failing].tolist(),
                outcome.reasons.tolist(),
            )
            quarantined.add_rows(ledger_ids[owner[failing]].tolist(), object_keys[owner[failing]].tolist(), rows)
    with metrics.stage("stage rows", len(staged)), transaction(engine) as conn:
        insert_frame(conn, STAGING_TABLE[feed], staged, types_from=HISTORY_TABLE[feed])
        quarantined.insert(conn, feed, scope="row")


def _merge(
    feed: Feed, files: list[_File], validator: FeedValidator, engine: Engine, settings: Settings
) -> list[IngestResult]:
    """Merge the staged rows of readable files in one transaction; prove each file's
    conservation and close its ledger entry."""
    ledger_ids = [file.entry.ledger_id for file in files]
    # Under the first file's id: the touched-stay list and the reconcile marks name the merge.
    params = {"ledger_ids": ledger_ids, "merge_id": ledger_ids[0]}
    results = []
    with transaction(engine, settings.pg_work_mem) as conn:
        with metrics.stage("merge", sum(file.rows_read for file in files)):
            with metrics.stage(merge_stage(_HISTORY)):
                quarantine_conflicts(conn, feed, ledger_ids)
            for step, part in MERGE_STEPS[feed]:
                with metrics.stage(merge_stage(part)):
                    run_sql(conn, f"ingest/{feed.value}/{step}", params)
        counts = {row[0]: row[1:] for row in query_sql(conn, "ingest/counts", {"ledger_ids": ledger_ids})}
        broken = []
        header_only = _Quarantine()
        header_note = "header only: the file has no data rows"
        for file in files:
            staged, loaded, quarantined = (int(value) for value in counts[file.entry.ledger_id])
            duplicates = staged - loaded
            if file.rows_read != loaded + quarantined + duplicates:
                broken.append(
                    f"{file.entry.object_key}: read {file.rows_read} rows but loaded {loaded} + quarantined "
                    f"{quarantined} + exact duplicates {duplicates} = {loaded + quarantined + duplicates}"
                )
            note = None
            if file.rows_read == 0:
                note = header_note
                file_reject = Rejected()
                file_reject.add(0, "", [reason("file", note, "hanya baris judul: berkas tidak memuat baris data")])
                header_only.add(file.entry, file_reject)
            results.append(
                IngestResult(
                    file.entry.ledger_id,
                    file.entry.object_key,
                    feed.value,
                    "LOADED",
                    file.rows_read,
                    loaded,
                    quarantined,
                    duplicates,
                    note,
                )
            )
        if broken:
            raise ConservationError("; ".join(broken))
        header_only.insert(conn, feed, scope="file")
        run_sql(conn, "ingest/staging_done", {"ledger_ids": ledger_ids})
        # The files are reported done only once their validation results are in the Data Docs.
        validator.flush_docs()
        finished_at = now_utc()
        for file, result in zip(files, results, strict=True):
            run_sql(
                conn,
                "ingest/ledger_finish",
                {
                    "ledger_id": result.ledger_id,
                    "status": result.status,
                    "encoding": file.state.encoding,
                    "rows_read": result.rows_read,
                    "rows_loaded": result.rows_loaded,
                    "rows_quarantined": result.rows_quarantined,
                    "rows_duplicate": result.rows_duplicate,
                    "blank_lines": file.blank_lines,
                    "note": result.note,
                    "loaded_at": finished_at,
                },
            )
    for result in results:
        log.info(
            "%s: read %d, loaded %d, quarantined %d, duplicates %d",
            result.object_key,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.rows_duplicate,
        )
    return results


_RECORD_NAME = {Feed.VISA: "visa", Feed.STAY_PERMIT: "stay permit", Feed.HOTEL_GUEST: "report"}
_RECORD_NAME_ID = {Feed.VISA: "visa", Feed.STAY_PERMIT: "izin tinggal", Feed.HOTEL_GUEST: "laporan"}


def quarantine_conflicts(conn: Connection, feed: Feed, ledger_ids: list[str]) -> int:
    """Quarantine rows that contradict an earlier record, naming it: a visa or permit at a
    record_version received before with other content (a change needs a higher version),
    or a lodging event of a stay under a passport the stay never had (not a CORRECTION,
    which may change it): two guests under one report id.

    "Earlier" is the landing order (landing date, key, version, line), whatever order the
    files are processed in: a stored row that landed after the staged one it contradicts
    leaves the history for the quarantine (its file's counts move with it), and the staged
    one stands. Candidates are found set-based in SQL (few); each file's conservation
    holds. The number of rows quarantined."""
    conflicts = (_event_conflicts if feed is Feed.HOTEL_GUEST else _version_conflicts)(conn, feed, ledger_ids)
    if not conflicts:
        return 0
    ledger_keys = {
        row.ledger_id: row.object_key
        for row in query_sql(conn, "ingest/ledger_keys", {"ledger_ids": sorted({c.ledger_id for c in conflicts})})
    }
    quarantine = _Quarantine()
    for found in sorted(conflicts, key=lambda c: (c.ledger_id, c.line_no)):
        rejected = Rejected()
        rejected.add(found.line_no, "", [found.reason])
        quarantine.add_rows([found.ledger_id], [ledger_keys[found.ledger_id]], rejected)
        where = {"ledger_id": found.ledger_id, "line_no": found.line_no}
        if found.stored:
            run_sql(conn, f"ingest/{feed.value}/history_row_evict", where)
            run_sql(conn, "ingest/ledger_row_evicted", where)
        else:
            run_sql(conn, "ingest/staged_row_delete", where)
    quarantine.insert(conn, feed, scope="row")
    log.warning("%d %s row(s) quarantined as conflicting with earlier records", len(conflicts), feed.value)
    return len(conflicts)


@dataclass(frozen=True)
class _Conflict:
    ledger_id: str
    line_no: int
    stored: bool  # in the history already (it landed after the record it contradicts)
    reason: dict[str, Any]


def _where(conn: Connection, rows: Iterable[Any]) -> dict[str, str]:
    ledger_ids = sorted({row.ledger_id for row in rows}) or [""]
    return {row.ledger_id: row.object_key for row in query_sql(conn, "ingest/ledger_keys", {"ledger_ids": ledger_ids})}


def _version_conflicts(conn: Connection, feed: Feed, ledger_ids: list[str]) -> list[_Conflict]:
    what, what_id = _RECORD_NAME[feed], _RECORD_NAME_ID[feed]
    numbers = {row[0] for row in query_sql(conn, f"ingest/{feed.value}/conflicts_stored", {"ledger_ids": ledger_ids})}
    numbers |= {row[0] for row in query_sql(conn, f"ingest/{feed.value}/conflicts_staged", {"ledger_ids": ledger_ids})}
    if not numbers:
        return []
    rows = query_sql(conn, f"ingest/{feed.value}/conflict_rows", {"numbers": sorted(numbers), "ledger_ids": ledger_ids})
    files = _where(conn, rows)
    standing: dict[tuple[str, int], Any] = {}
    found = []
    for row in sorted(rows, key=lambda r: r.arrival_key):  # in landing order: the first stands
        record = (row.record_key, int(row.record_version))
        first = standing.setdefault(record, row)
        if row.row_hash == first.row_hash:
            continue
        where = f"{files[first.ledger_id]} line {first.line_no}"
        found.append(
            _Conflict(
                row.ledger_id,
                int(row.line_no),
                row.origin == "stored",
                reason(
                    "conflict",
                    f"{what} {row.record_key} version {row.record_version} was received before with other content "
                    f"({where}): a changed record needs a higher record_version",
                    f"{what_id} {row.record_key} versi {row.record_version} sudah diterima sebelumnya dengan isi "
                    f"lain ({where}): rekaman yang berubah perlu record_version yang lebih tinggi",
                    column="record_version",
                    value=row.record_version,
                ),
            )
        )
    return found


def _event_conflicts(conn: Connection, feed: Feed, ledger_ids: list[str]) -> list[_Conflict]:
    reports = {row[0] for row in query_sql(conn, "ingest/hotel_guest/conflicts_stored", {"ledger_ids": ledger_ids})}
    reports |= {row[0] for row in query_sql(conn, "ingest/hotel_guest/conflicts_staged", {"ledger_ids": ledger_ids})}
    if not reports:
        return []
    events = query_sql(
        conn, "ingest/hotel_guest/conflict_events", {"report_ids": sorted(reports), "ledger_ids": ledger_ids}
    )
    files = _where(conn, events)
    found = []
    known: dict[str, dict[str, str]] = {}  # report -> passport key -> where it was first reported
    for row in sorted(events, key=lambda r: r.arrival_key):  # in landing order
        seen = known.setdefault(row.report_id, {})
        if row.event == "CORRECTION" or not seen or row.passport_key in seen:
            seen.setdefault(row.passport_key, f"{row.passport_number} ({files[row.ledger_id]} line {row.line_no})")
            continue
        earlier = next(iter(seen.values()))
        found.append(
            _Conflict(
                row.ledger_id,
                int(row.line_no),
                row.origin == "stored",
                reason(
                    "conflict",
                    f"report {row.report_id} was received before for passport {earlier}; this {row.event} names "
                    f"passport {row.passport_number}: two guests under one report id? (a CORRECTION may change it)",
                    f"laporan {row.report_id} sudah diterima untuk paspor {earlier}; {row.event} ini menyebut paspor "
                    f"{row.passport_number}: dua tamu dengan satu nomor laporan? (CORRECTION boleh mengubahnya)",
                    column="passport_number",
                    value=row.passport_number,
                ),
            )
        )
    return found


def _reject_file(entry: LedgerEntry, path: Path, settings: Settings, rejection: FileRejected) -> IngestResult:
    """Quarantine every line of a file that cannot be read as the contract says."""
    why = rejection.reason
    engine = warehouse_engine(settings)
    file_reason = reason("file", f"file rejected: {why}", f"berkas ditolak: {rejection.reason_id}")
    encoding = rejection.readable_as or _guess_encoding(path)
    try:
        rows_read = _quarantine_lines(entry, iter_raw_lines(path, encoding, settings.chunk_rows), file_reason, engine)
    except (OSError, EOFError, zlib.error) as exc:
        # A broken or mislabelled gzip stream: its lines are listed from the bytes as they
        # landed instead (Latin-1 maps every byte to a character: nothing is lost).
        log.warning("%s: %s; its lines are listed from the bytes as they landed", entry.object_key, exc)
        with transaction(engine) as conn:
            run_sql(conn, "ingest/clear_attempt", {"ledger_ids": [entry.ledger_id]})
        rows_read = _quarantine_lines(
            entry, iter_line_chunks(path, "latin-1", settings.chunk_rows, raw=True), file_reason, engine
        )
    with transaction(engine) as conn:
        summary = Rejected()
        summary.add(0, "", [file_reason])
        whole_file = _Quarantine()
        whole_file.add(entry, summary)
        whole_file.insert(conn, entry.feed, scope="file")
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


def _quarantine_lines(
    entry: LedgerEntry, chunks: Iterable[LineChunk], file_reason: dict[str, Any], engine: Engine
) -> int:
    """Every non-blank line of a rejected file, quarantined with the file's reason; how many."""
    rows_read = 0
    for chunk in chunks:
        rejected = Rejected()
        for offset, line in enumerate(chunk.lines):
            line_no = chunk.first_line_no + offset
            raw = chunk.oversize[line_no][1] if line_no in chunk.oversize else line
            if raw.strip():
                rejected.add(line_no, raw, [file_reason])
        rows_read += len(rejected)
        lines = _Quarantine()
        lines.add(entry, rejected)
        with transaction(engine) as conn:
            lines.insert(conn, entry.feed, scope="row")
    return rows_read


def _guess_encoding(path: Path) -> str | None:
    from timpora.feeds.reading import detect_encoding

    try:
        return detect_encoding(path)
    except FileRejected:
        return None


# --- frames for the warehouse ---------------------------------------------------------------


def _epoch_seconds(values: pd.Series) -> pd.Series:
    return ((values - _EPOCH) // pd.Timedelta(seconds=1)).astype("Int64")


def _arrival_prefix(file: _File) -> str:
    """The start of each row's arrival key: landing date, key, version (then the line)."""
    return f"{file.landing.landing_date.isoformat()}|{file.entry.object_key}|{file.entry.object_version:06d}|"


def staging_frame(feed: Feed, rows: pd.DataFrame, ledger_ids: Any, arrival_prefixes: Any) -> pd.DataFrame:
    """Good rows, shaped like the feed's history table; each row's file is given by its
    ledger id and arrival-key prefix (one value, or one per row)."""
    frame = rows[STORED_COLUMNS[feed]].copy()
    frame["ledger_id"] = ledger_ids
    frame["line_no"] = rows["line_no"].astype("int64")
    frame["row_hash"] = rows["row_hash"]
    frame["arrival_key"] = arrival_prefixes + rows["line_no"].astype(TEXT).str.zfill(9).to_numpy(dtype=object)
    if feed is Feed.HOTEL_GUEST:
        frame["check_in_epoch"] = _epoch_seconds(rows["check_in_utc"])
        frame["check_out_epoch"] = _epoch_seconds(rows["check_out_utc"])
        frame["reported_at_epoch"] = _epoch_seconds(rows["reported_at_utc"])
        frame["check_in_date"] = rows["check_in_local"].dt.normalize()
        frame["check_out_date"] = rows["check_out_local"].dt.normalize()
    return frame


@dataclass
class _Quarantine:
    """Quarantined rows of one or many files, inserted at once."""

    ledger_ids: list[str] = field(default_factory=list)
    object_keys: list[str] = field(default_factory=list)
    rows: Rejected = field(default_factory=Rejected)

    def add(self, entry: LedgerEntry, rejected: Rejected) -> None:
        self.add_rows([entry.ledger_id] * len(rejected), [entry.object_key] * len(rejected), rejected)

    def add_rows(self, ledger_ids: list[str], object_keys: list[str], rejected: Rejected) -> None:
        self.ledger_ids += ledger_ids
        self.object_keys += object_keys
        self.rows.extend(rejected)

    def insert(self, conn: Connection, feed: Feed | str, scope: str) -> None:
        if not len(self.rows):
            return
        frame = pd.DataFrame(
            {
                "ledger_id": self.ledger_ids,
                "line_no": self.rows.line_no,
                "feed": str(feed),
                "object_key": self.object_keys,
                "scope": scope,
                "raw": self.rows.raw,
                "reasons": self.rows.reasons,
                "quarantined_at": pd.Timestamp(now_utc()),
            }
        )
        insert_frame(conn, "quarantine", frame)


def landing_dates(keys: Iterable[str]) -> list[date]:
    """Landing dates named by keys (for logs and the as-of date)."""
    return sorted({parse_landing_key(key).landing_date for key in keys})
