"""Great Expectations validation of feed batches, with row-level quarantine reasons.

The suites are the JSON files in ``expectations/`` (GX's own suite format). They are
loaded into a GX file context under the data directory, which also holds validation
results and the Data Docs site (rebuilt for each validated batch by the checkpoint's
``UpdateDataDocsAction``). GX runs with ``BASIC`` and stays the judge of every rule (which
expectations fail, and on how many rows); :mod:`timpora.validation.row_masks` then names
the rows behind each failure.
"""

from __future__ import annotations

import ast
import fcntl
import gc
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from timpora.feeds.contracts import Feed
from timpora.feeds.normalise import TEXT
from timpora.validation.row_masks import UnsupportedExpectation, resolve_parameters, unexpected_mask

log = logging.getLogger(__name__)

DATASOURCE = "timpora_feeds"
# The Data Docs index lists this many of the newest validation results. GX reads every
# result it lists to build the index (a few ms each): listing them all, with one result
# per validated batch kept (TIMPORA_GX_RESULTS_DAYS), made each build slower than the last.
DOCS_INDEX_RESULTS = 500
# What GX reports per expectation: success, unexpected_count and a sample of unexpected
# values (shown in the Data Docs). SUMMARY adds a sample of unexpected row indices, and to
# find them GX copies the batch's rows once per failing expectation; the row masks name
# every failing row anyway, so that copy bought nothing (a national day's lodging file:
# 1.2 s with SUMMARY, 0.8 s with BASIC on the same columns, the same verdicts).
RESULT_FORMAT: Literal["BASIC"] = "BASIC"


class SuiteError(RuntimeError):
    """The suite itself is broken (GX raised while evaluating it): not a data problem."""


class ValidationDrift(RuntimeError):
    """Our row mask disagrees with GX's unexpected count: the rules must not silently fork."""


@dataclass
class ValidationOutcome:
    """Per-row verdicts of one batch."""

    failed: np.ndarray  # bool per row position
    reasons: pd.Series  # row position -> JSON array of reasons (only failing rows)
    evaluated: int
    failed_expectations: list[str] = field(default_factory=list)
    run_name: str = ""


def load_suite_json(expectations_dir: Path, feed: Feed) -> dict[str, Any]:
    """A feed's committed suite, as GX JSON."""
    path = expectations_dir / "suites" / f"{feed.value}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _condition_columns(condition: Any) -> set[str] | None:
    """Columns a row condition reads, or None if it is not a pandas query we can parse."""
    if isinstance(condition, dict):
        condition = condition.get("pass_through_filter")
    if not isinstance(condition, str):
        return None
    try:
        tree = ast.parse(condition, mode="eval")
    except SyntaxError:
        return None
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def suite_columns(suite_json: Mapping[str, Any]) -> frozenset[str] | None:
    """The columns a suite's expectations read (their row conditions included), and those
    a quarantine reason shows (``meta.raw_column``: the value as the file had it).

    None when that cannot be told (a table-level expectation, which may look at every
    column, or a row condition that is not a pandas query): then GX gets the whole batch.
    """
    columns: set[str] = set()
    for expectation in suite_json.get("expectations", []):
        kwargs = expectation.get("kwargs", {})
        named = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
        named += [c for k in ("column_list", "column_set") for c in kwargs.get(k) or []]
        if not named or str(expectation.get("type", "")).startswith("expect_table_"):
            return None
        columns.update(named)
        if expectation.get("meta", {}).get("raw_column"):
            columns.add(expectation["meta"]["raw_column"])
        if kwargs.get("row_condition"):
            read = _condition_columns(kwargs["row_condition"])
            if read is None:
                return None
            columns |= read
    return frozenset(columns)


def validation_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The batch in the dtypes GX evaluates with vectorised operations.

    GX's ``between`` is only vectorised for nanosecond datetimes and numpy numbers. Text
    stays arrow-backed: pandas runs GX's ``astype(str).str.contains(regex)`` in pyarrow,
    and falls back to Python's ``re`` exactly where RE2 would match differently (Unicode
    classes on non-ASCII text, ``\\s``), so results equal the row masks' ``re`` semantics
    without an object copy of every column.
    """
    prepared: dict[str, pd.Series] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            prepared[name] = column.astype("datetime64[ns]")
        elif isinstance(column.dtype, pd.Int64Dtype):
            prepared[name] = column.astype("float64")
        elif column.dtype == object:
            prepared[name] = column.astype(TEXT)
        else:
            prepared[name] = column
    return pd.DataFrame(prepared, index=pd.RangeIndex(len(frame)))


class FeedValidator:
    """Validates feed batches; one per process.

    Validation runs in an in-memory (ephemeral) GX context, so any number of worker
    processes validate at once without sharing files. Each result is then published to
    the shared file context (validation results store and Data Docs) under an
    inter-process lock: GX's file stores are not safe for concurrent writers.
    """

    def __init__(self, gx_dir: Path, expectations_dir: Path, build_data_docs: bool = True) -> None:
        import great_expectations as gx

        self._gx = gx
        self.gx_dir = gx_dir
        self.expectations_dir = expectations_dir
        self.context = gx.get_context(mode="ephemeral")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs = DataDocsPublisher(gx_dir) if build_data_docs else None
        self._suites: dict[Feed, dict[str, Any]] = {}
        self._columns: dict[Feed, frozenset[str] | None] = {}
        self._checkpoints: dict[Feed, Any] = {}
        self._lock = threading.Lock()

    @property
    def data_docs_index(self) -> Path:
        return DataDocsPublisher.index_of(self.gx_dir)

    def _checkpoint(self, feed: Feed) -> Any:
        if feed in self._checkpoints:
            return self._checkpoints[feed]
        gx = self._gx
        ctx = self.context
        suite_json = load_suite_json(self.expectations_dir, feed)
        self._suites[feed] = suite_json
        self._columns[feed] = suite_columns(suite_json)
        suite = ctx.suites.add(gx.ExpectationSuite(**suite_json))
        try:
            source = ctx.data_sources.get(DATASOURCE)
        except (KeyError, ValueError):
            source = ctx.data_sources.add_pandas(DATASOURCE)
        batch_definition = source.add_dataframe_asset(feed.value).add_batch_definition_whole_dataframe("whole_batch")  # type: ignore[attr-defined]
        definition = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"{feed.value}_batch", data=batch_definition, suite=suite)
        )
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(name=f"{feed.value}_ingest", validation_definitions=[definition], result_format=RESULT_FORMAT)
        )
        self._checkpoints[feed] = checkpoint
        return checkpoint

    def validate(
        self, feed: Feed, frame: pd.DataFrame, parameters: Mapping[str, Any], run_name: str
    ) -> ValidationOutcome:
        """Validate a batch; return which rows fail and why."""
        from great_expectations.core.run_identifier import RunIdentifier

        with self._lock:
            checkpoint = self._checkpoint(feed)
            columns = self._columns[feed]
        # Only the columns the suite reads or shows: GX copies the batch's rows for every expectation
        # that filters them (nulls, row conditions), and a lodging file's raw lines, row
        # hashes and UTC times, which no expectation reads, were a fifth of its validation.
        data = validation_frame(frame if columns is None else frame[[c for c in frame.columns if c in columns]])
        if len(data) == 0:
            return ValidationOutcome(np.zeros(0, dtype=bool), pd.Series(dtype=object), 0, run_name=run_name)
        # GX caches one execution engine per data source and loads each batch into it as the
        # active batch: two threads running checkpoints at once read each other's rows. The
        # workers are processes, each with its own context; threads in one process take turns.
        with self._lock:
            result = checkpoint.run(
                batch_parameters={"dataframe": data},
                expectation_parameters=dict(parameters),
                run_id=RunIdentifier(run_name=run_name),
            )
        ((key, suite_result),) = result.run_results.items()
        if self.docs is not None:
            self.docs.publish_later(key, suite_result, self._suites[feed])
        outcome = self._row_verdicts(feed, data, suite_result, parameters, run_name)
        # A checkpoint leaves thousands of reference cycles behind (pydantic and GX errors
        # raised and caught while it builds metrics, with their tracebacks' frames), and
        # they keep about 100 MB of a 100,000-row batch's intermediates alive until a full
        # collection, which a worker's allocation pattern rarely triggers: a worker's RSS
        # grew by 170-250 MB per lodging file, to 1.4 GB after four. Collecting here, once
        # per batch, keeps it flat: 5-20 ms, as validator_for froze GX's own objects.
        gc.collect()
        return outcome

    def flush_docs(self) -> None:
        """Wait until every result validated so far has its Data Docs page (raises what publishing raised)."""
        if self.docs is not None:
            self.docs.flush()

    def publish_docs_index(self, results_days: int | None = None, now: datetime | None = None) -> int:
        """Rebuild the Data Docs index over the newest results, once per batch of files,
        after removing the results older than ``results_days`` days (see
        :meth:`DataDocsPublisher.publish_index`). Returns how many were removed."""
        if self.docs is None:
            return 0
        self.docs.flush()
        return self.docs.publish_index(results_days, now)

    def _row_verdicts(
        self, feed: Feed, data: pd.DataFrame, suite_result: Any, parameters: Mapping[str, Any], run_name: str
    ) -> ValidationOutcome:
        return row_verdicts(
            feed.value,
            self._suites[feed]["expectations"],
            data,
            suite_result,
            parameters,
            run_name,
            fallback=lambda spec: self._complete_mask(feed, data, spec, parameters),
        )

    def _complete_mask(
        self, feed: Feed, data: pd.DataFrame, spec: dict[str, Any], parameters: Mapping[str, Any]
    ) -> np.ndarray:
        """Fallback for expectation types without a vectorised mask: GX COMPLETE, one expectation."""
        gx = self._gx
        context = gx.get_context(mode="ephemeral")
        batch = (
            context.data_sources.add_pandas("complete")
            .add_dataframe_asset(feed.value)
            .add_batch_definition_whole_dataframe("b")
            .get_batch(batch_parameters={"dataframe": data})
        )
        expectation = gx.ExpectationSuite(name="one", expectations=[spec]).expectations[0]
        result = batch.validate(
            expectation, result_format={"result_format": "COMPLETE"}, expectation_parameters=dict(parameters)
        )
        mask = np.zeros(len(data), dtype=bool)
        mask[list((result.result or {}).get("unexpected_index_list") or [])] = True
        return mask


class DataDocsPublisher:
    """Adds validation results to the shared GX file context and its Data Docs, one writer at a time."""

    def __init__(self, gx_dir: Path) -> None:
        self.gx_dir = gx_dir
        self._context: Any = None
        self._synced: dict[str, str] = {}
        # Rendering a result into the site takes about a second per batch. One background
        # thread does it while the batch is merged (the merge waits on the database, not on
        # the GIL); the ingest flushes before it reports the file done. The GX file context
        # lives on that thread alone.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-data-docs")
        self._pending: list[Future[None]] = []

    def publish_later(self, key: Any, suite_result: Any, suite_json: dict[str, Any]) -> None:
        self._pending.append(self._executor.submit(self.publish, key, suite_result, suite_json))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    @staticmethod
    def index_of(gx_dir: Path) -> Path:
        return gx_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

    def _file_context(self) -> Any:
        """The shared GX file context (opened once, on the publishing thread), its Data Docs
        index limited to the newest :data:`DOCS_INDEX_RESULTS` results."""
        if self._context is None:
            import great_expectations as gx

            context = gx.get_context(mode="file", project_root_dir=str(self.gx_dir))
            # In this process's context only (the setter takes a copy; nothing is saved).
            sites = context.variables.data_docs_sites or {}
            for site in sites.values():
                site.setdefault("site_index_builder", {"class_name": "DefaultSiteIndexBuilder"})
                site["site_index_builder"]["validation_results_limit"] = DOCS_INDEX_RESULTS
            context.variables.data_docs_sites = sites
            self._context = context
        return self._context

    @contextmanager
    def _locked(self) -> Iterator[Any]:
        """The shared file context, held by this process alone (GX's file stores are not
        safe for concurrent writers)."""
        self.gx_dir.mkdir(parents=True, exist_ok=True)
        with (self.gx_dir / ".publish.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield self._file_context()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def publish(self, key: Any, suite_result: Any, suite_json: dict[str, Any]) -> None:
        """Store one result and render its page. Not the index: GX rebuilds it from every
        result it lists, so it is rebuilt once per batch of files (:meth:`publish_index`)."""
        import great_expectations as gx

        with self._locked() as context:
            fingerprint = json.dumps(suite_json, sort_keys=True)
            if self._synced.get(suite_json["name"]) != fingerprint:
                context.suites.add_or_update(gx.ExpectationSuite(**suite_json))
                self._synced[suite_json["name"]] = fingerprint
            context.validation_results_store.set(key, suite_result)
            context.build_data_docs(resource_identifiers=[key], build_index=False)

    def publish_index(self, results_days: int | None = None, now: datetime | None = None) -> int:
        """Rebuild the Data Docs index (and the suites' pages), on the publishing thread,
        first removing the results validated more than ``results_days`` days before ``now``
        (default: the present), with their pages. Returns how many results were removed."""
        return self._executor.submit(self._build_index, results_days, now).result()

    def _build_index(self, results_days: int | None, now: datetime | None) -> int:
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        with self._locked() as context:
            expired = 0
            if results_days is not None:
                cutoff = (now or datetime.now(UTC)) - timedelta(days=results_days)
                expired = expire_results(context.validation_results_store, cutoff)
            # Naming the suites renders their pages and no result's: no list at all would
            # render every result's page again. No suite yet means no result either. GX's
            # index builder also deletes the page of every result no longer in the store.
            suites = [ExpectationSuiteIdentifier(name=suite.name) for suite in context.suites.all()]
            if suites:
                context.build_data_docs(resource_identifiers=suites)
            if expired:
                # GX means to remove the folders a removed key leaves empty, but its test
                # (`not Path(...).iterdir()`) is never true: each batch's run would leave
                # two empty folders behind for good.
                uncommitted = self.gx_dir / "gx" / "uncommitted"
                for tree in (uncommitted / "validations", uncommitted / "data_docs" / "local_site" / "validations"):
                    _remove_empty_folders(tree)
        return expired


def expire_results(store: Any, cutoff: datetime) -> int:
    """Remove from a GX validation results store every result validated before ``cutoff``.

    One result and one Data Docs page (about 170 kB together) per validated batch: kept
    forever, they grow without bound, and GX lists every stored result each time it builds
    the index. The warehouse keeps what reviewers need of a batch (its quarantined rows and
    reasons, the file ledger's counts).
    """
    expired = [key for key in store.list_keys() if _utc(key.run_id.run_time) < cutoff]
    for key in expired:
        store.remove_key(store.key_to_tuple(key))
    if expired:
        log.info("removed %d validation results from before %s", len(expired), cutoff.isoformat())
    return len(expired)


def _remove_empty_folders(tree: Path) -> None:
    """Remove every empty folder under ``tree`` (deepest first), not ``tree`` itself."""
    for folder, subfolders, files in os.walk(tree, topdown=False):
        if folder != str(tree) and not files and not any((Path(folder) / name).exists() for name in subfolders):
            Path(folder).rmdir()


def _utc(moment: datetime) -> datetime:
    # GX stamps runs in UTC; a stamp read back without its zone is UTC too.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def row_verdicts(
    label: str,
    expectations: list[dict[str, Any]],
    data: pd.DataFrame,
    suite_result: Any,
    parameters: Mapping[str, Any],
    run_name: str = "",
    fallback: Callable[[dict[str, Any]], np.ndarray] | None = None,
) -> ValidationOutcome:
    """Per-row verdicts from a GX ``BASIC`` result: rows behind each failure, with reasons.

    Only expectations GX reports unexpected rows for are masked, and each mask must count
    exactly what GX counted.
    """
    # GX assigns its own ids when a suite is first added, so results are matched to
    # the committed suite by the stable ``meta.rule_key`` every expectation carries.
    by_key = {exp["meta"]["rule_key"]: exp for exp in expectations}
    failed = np.zeros(len(data), dtype=bool)
    fragments: list[pd.Series] = []
    failed_ids: list[str] = []
    for item in suite_result.results:
        config = item.expectation_config
        info = item.exception_info or {}
        if info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("raised_exception") for v in info.values()
        ):
            raise SuiteError(f"{label} suite expectation {config.id} ({config.type}) raised in GX: {info}")
        count = int((item.result or {}).get("unexpected_count") or 0)
        if item.success and count == 0:
            continue
        if config.type in ("expect_table_columns_to_match_set", "expect_column_to_exist"):
            raise SuiteError(f"{label} batch lacks columns the suite expects ({config.type})")
        spec = by_key.get(str((config.meta or {}).get("rule_key")))
        if spec is None:
            raise SuiteError(f"GX reported expectation {config.id} without a rule_key of the {label} suite")
        kwargs = resolve_parameters(spec["kwargs"], parameters)
        try:
            mask = unexpected_mask(data, spec["type"], kwargs)
        except UnsupportedExpectation:
            if fallback is None:
                raise
            mask = fallback(spec)
        if int(mask.sum()) != count:
            raise ValidationDrift(
                f"{label} expectation {spec['meta']['rule_key']} ({spec['type']}): "
                f"GX counts {count} unexpected rows, the row mask {int(mask.sum())}"
            )
        failed_ids.append(spec["meta"]["rule_key"])
        failed |= mask
        fragments.append(_reason_fragments(data, spec, kwargs, mask))
    return ValidationOutcome(failed, _reason_arrays(fragments), len(data), failed_ids, run_name)


def _reason_fragments(
    data: pd.DataFrame, spec: dict[str, Any], kwargs: Mapping[str, Any], mask: np.ndarray
) -> pd.Series:
    """One JSON reason object per failing row of one expectation, built column-wise.

    A file whose upstream system broke a column fails on every row, so this must not be a
    per-row Python loop: the constant part is encoded once, each distinct value once.
    """
    meta = spec.get("meta", {})
    column = kwargs.get("column") or kwargs.get("column_A")
    shown = meta.get("raw_column") or column
    base = {
        "check": spec["type"],
        "expectation": meta.get("rule_key", spec.get("id")),
        "column": column,
        "message_en": meta.get("reason_en", spec["type"]),
        "message_id": meta.get("reason_id", spec["type"]),
    }
    prefix = json.dumps(base, ensure_ascii=False)[:-1]
    positions = np.flatnonzero(mask)
    if shown in data.columns:
        # Select the failing rows before converting: a datetime column of a million rows
        # turned into Python objects costs seconds.
        shown_values = data[shown].iloc[positions]
        if pd.api.types.is_datetime64_any_dtype(shown_values.dtype):
            shown_values = shown_values.astype(str).where(shown_values.notna(), None)
        codes, distinct = pd.factorize(shown_values.to_numpy(dtype=object))
    else:
        codes, distinct = np.full(len(positions), -1), np.array([], dtype=object)
    encoded = [', "value": ' + json.dumps(_shorten(str(value)), ensure_ascii=False) for value in distinct]
    tails = np.array([*encoded, ""], dtype=object)[codes]  # code -1 (missing value) -> no "value"
    return pd.Series(prefix + tails + "}", index=positions, dtype=object)


def _shorten(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "…"


def _reason_arrays(fragments: list[pd.Series]) -> pd.Series:
    """Row position -> JSON array of all its reasons, in the suite's order.

    Fragments are sorted by row (stably, keeping the suite's order within a row), given
    their separators, and joined per row by ``np.add.reduceat``: string concatenation in
    a C loop, with no Python call per row.
    """
    if not fragments:
        return pd.Series(dtype=object)
    parts = pd.concat(fragments)
    order = np.argsort(parts.index.to_numpy(), kind="stable")
    positions = parts.index.to_numpy()[order]
    pieces = parts.to_numpy(dtype=object)[order]
    starts = np.flatnonzero(np.r_[True, positions[1:] != positions[:-1]])
    ends = np.r_[starts[1:], len(positions)] - 1
    separators = np.full(len(positions), ",", dtype=object)
    separators[ends] = "]"
    pieces = pieces + separators
    pieces[starts] = "[" + pieces[starts]
    return pd.Series(np.add.reduceat(pieces, starts), index=positions[starts], dtype=object)


_VALIDATORS: dict[tuple[Path, Path, bool], FeedValidator] = {}
_VALIDATORS_LOCK = threading.Lock()


def validator_for(gx_dir: Path, expectations_dir: Path, build_data_docs: bool = True) -> FeedValidator:
    """The process-wide validator for a GX directory (creating a GX context costs ~1 s)."""
    key = (gx_dir, expectations_dir, build_data_docs)
    with _VALIDATORS_LOCK:
        if key not in _VALIDATORS:
            _VALIDATORS[key] = FeedValidator(gx_dir, expectations_dir, build_data_docs)
            # GX and its imports are a few hundred thousand long-lived objects: set aside
            # from the cyclic collector, the collection after each batch (validate) walks
            # only what was made since, 0.2 s otherwise.
            gc.collect()
            gc.freeze()
        return _VALIDATORS[key]
