"""The GX suites: a real file context, complete metadata, and row masks that agree with GX."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import SAMPLES
from tests.test_bad_inputs import guest_line, permit_line, visa_line
from timpora.config import get_settings
from timpora.feeds.contracts import HOTEL_GUEST_COLUMNS, STAY_PERMIT_COLUMNS, Feed, parse_landing_key
from timpora.feeds.parsing import FileReadState, read_feed_file
from timpora.ingest.pipeline import validation_parameters
from timpora.validation import runner as validation
from timpora.validation.row_masks import resolve_parameters, unexpected_mask

EXPECTATIONS = Path(__file__).resolve().parent.parent / "expectations"


def suite(feed: Feed) -> dict[str, Any]:
    return validation.load_suite_json(EXPECTATIONS, feed)


def test_expectations_folder_is_a_gx_file_context(tmp_path: Path) -> None:
    import great_expectations as gx

    shutil.copytree(EXPECTATIONS, tmp_path / "expectations")
    context = gx.get_context(mode="file", context_root_dir=str(tmp_path / "expectations"))
    for feed in Feed:
        loaded = context.suites.get(feed.value)
        assert len(loaded.expectations) == len(suite(feed)["expectations"]) > 30


@pytest.mark.parametrize("feed", list(Feed))
def test_every_expectation_is_explained_and_uses_known_parameters(feed: Feed) -> None:
    provided = set(
        validation_parameters(
            parse_landing_key(f"{feed.value}/2024/10/03/X_a.{'jsonl' if feed is Feed.VISA else 'csv'}")
        )
    )
    keys = [exp["meta"]["rule_key"] for exp in suite(feed)["expectations"]]
    assert len(keys) == len(set(keys)), "rule_key must be unique"
    for exp in suite(feed)["expectations"]:
        assert exp["meta"]["reason_en"] and exp["meta"]["reason_id"], exp
        for value in exp["kwargs"].values():
            if isinstance(value, dict) and "$PARAMETER" in value:
                assert value["$PARAMETER"] in provided


def _sample_frame(feed: Feed, lines: list[str]) -> pd.DataFrame:
    folder = get_settings().data_dir / "suite-frames"
    name = {Feed.HOTEL_GUEST: "LDG-167101_x.csv", Feed.STAY_PERMIT: "KANIM-PLG_x.csv", Feed.VISA: "e_x.jsonl"}[feed]
    key = f"{feed.value}/2024/10/03/{name}"
    path = folder / key
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {Feed.HOTEL_GUEST: ";".join(HOTEL_GUEST_COLUMNS), Feed.STAY_PERMIT: ",".join(STAY_PERMIT_COLUMNS)}
    body = ([header[feed]] if feed in header else []) + lines
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    frames = [b.frame for b in read_feed_file(feed, path, parse_landing_key(key), 10_000, FileReadState())]
    return pd.concat(frames, ignore_index=True)


MESSY = {
    Feed.HOTEL_GUEST: [
        guest_line(1),
        guest_line(2, lodging_region_code="99.99"),
        guest_line(3, date_of_birth="31/02/1990"),
        guest_line(4, guest_surname="=cmd"),
        guest_line(5, nationality="Narnia", sex="Q"),
        guest_line(6, event="CHECK_OUT"),
        guest_line(7, check_out="01/10/2024 09:00"),
        guest_line(8, passport_expiry="x"),
        guest_line(9, mrz_line1="P<SHORT"),
        guest_line(10, lodging_id="LDG-999901"),
        guest_line(11, occupation="@SUM(A1)"),
        guest_line(12, reported_at="01/10/2024 09:00"),
        guest_line(13, check_in="02/10/2031 10:00"),
    ],
    Feed.STAY_PERMIT: [
        permit_line("ITK-1"),
        permit_line("ITK-2", record_version="0"),
        permit_line("ITK-3", valid_until="2024-01-01"),
        permit_line("ITK-4", surname="ИВАНОВ"),
        permit_line("ITK-5", region_code="16.99"),
        permit_line("ITK-6", updated_at="2024-09-28"),
        permit_line("ITK-7", office_code="KANIM-X"),
        permit_line("x", sex="U", activity="SPY"),
    ],
    Feed.VISA: [
        visa_line("V0000000001"),
        visa_line("V0000000002", visa_index="Z1"),
        visa_line("V0000000003", record_version=0),
        visa_line("V0000000004", sponsor={"name": "PT X"}),
        visa_line("V0000000005", max_stay_days=99999),
        visa_line("V0000000006", valid_until="2024-01-01"),
        visa_line("V0000000007", issued_at="2030-01-01T00:00:00+07:00"),
        visa_line("short"),
    ],
}


@pytest.mark.parametrize("feed", list(Feed))
def test_row_masks_agree_with_gx_complete_on_every_expectation(feed: Feed) -> None:
    """The independent check of the design: for every expectation, our vectorised mask
    names exactly the rows GX's COMPLETE result format lists."""
    import great_expectations as gx

    frame = validation.validation_frame(_sample_frame(feed, MESSY[feed]))
    name = {Feed.HOTEL_GUEST: "LDG-167101_x.csv", Feed.STAY_PERMIT: "KANIM-PLG_x.csv", Feed.VISA: "e_x.jsonl"}[feed]
    parameters = validation_parameters(parse_landing_key(f"{feed.value}/2024/10/03/{name}"))
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("a")
        .add_batch_definition_whole_dataframe("b")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite_json = suite(feed)
    expectations = gx.ExpectationSuite(**suite_json).expectations
    failing = 0
    for spec, expectation in zip(suite_json["expectations"], expectations, strict=True):
        result = batch.validate(
            expectation, result_format={"result_format": "COMPLETE"}, expectation_parameters=parameters
        )
        assert not (result.exception_info or {}).get("raised_exception"), (spec["meta"]["rule_key"], result)
        gx_rows = sorted((result.result or {}).get("unexpected_index_list") or [])
        ours = sorted(
            int(i)
            for i in (unexpected_mask(frame, spec["type"], resolve_parameters(spec["kwargs"], parameters))).nonzero()[0]
        )
        assert ours == gx_rows, spec["meta"]["rule_key"]
        failing += bool(gx_rows)
    assert failing >= 6, "the messy batch should exercise many expectations"


@pytest.mark.parametrize("feed", list(Feed))
def test_the_validator_quarantines_the_rows_gx_complete_names_on_the_whole_batch(feed: Feed) -> None:
    """The validator hands GX only the suite's columns and asks for BASIC results; the rows
    it fails are still exactly those GX's COMPLETE lists on the batch with every column."""
    import great_expectations as gx

    batch_frame = _sample_frame(feed, MESSY[feed])
    name = {Feed.HOTEL_GUEST: "LDG-167101_x.csv", Feed.STAY_PERMIT: "KANIM-PLG_x.csv", Feed.VISA: "e_x.jsonl"}[feed]
    parameters = validation_parameters(parse_landing_key(f"{feed.value}/2024/10/03/{name}"))
    whole = (
        gx.get_context(mode="ephemeral")
        .data_sources.add_pandas("p")
        .add_dataframe_asset("a")
        .add_batch_definition_whole_dataframe("b")
        .get_batch(batch_parameters={"dataframe": validation.validation_frame(batch_frame)})
    )
    expected: set[int] = set()
    for expectation in gx.ExpectationSuite(**suite(feed)).expectations:
        result = whole.validate(
            expectation, result_format={"result_format": "COMPLETE"}, expectation_parameters=parameters
        )
        expected.update((result.result or {}).get("unexpected_index_list") or [])
    validator = validation.validator_for(get_settings().gx_dir, EXPECTATIONS, build_data_docs=False)
    outcome = validator.validate(feed, batch_frame, parameters, f"narrow-{feed.value}")
    assert outcome.evaluated == len(batch_frame)
    assert set(outcome.failed.nonzero()[0].tolist()) == expected
    assert len(expected) >= 4


@pytest.mark.parametrize("feed", list(Feed))
def test_a_suite_reads_its_expectations_columns_and_its_row_conditions_columns(feed: Feed) -> None:
    columns = validation.suite_columns(suite(feed))
    assert columns is not None
    for expectation in suite(feed)["expectations"]:
        kwargs = expectation["kwargs"]
        assert {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs} <= columns
        assert expectation["meta"].get("raw_column", kwargs.get("column", kwargs.get("column_A"))) in columns
    # The batch's own bookkeeping, which no expectation reads, stays out of GX.
    assert not {"raw", "row_hash", "line_no", "passport_key"} & columns
    if feed is Feed.HOTEL_GUEST:
        assert {"check_out_raw", "passport_expiry_raw"} <= columns  # read only by row conditions


def test_a_suite_whose_columns_cannot_be_told_is_validated_on_the_whole_batch() -> None:
    column = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}
    conditioned = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "a", "row_condition": {"type": "pass_through", "pass_through_filter": 'b == "X"'}},
    }
    assert validation.suite_columns({"expectations": [column, conditioned]}) == {"a", "b"}
    table = {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}
    assert validation.suite_columns({"expectations": [column, table]}) is None
    unparsed = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "row_condition": "b ==="}}
    assert validation.suite_columns({"expectations": [column, unparsed]}) is None


def test_a_mask_that_drifts_from_gx_fails_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _sample_frame(Feed.HOTEL_GUEST, [guest_line(1), guest_line(2, lodging_region_code="99.99")])
    validator = validation.validator_for(get_settings().gx_dir, EXPECTATIONS, build_data_docs=False)
    monkeypatch.setattr(validation, "unexpected_mask", lambda *a, **k: frame["line_no"].to_numpy() > 0)
    params = validation_parameters(parse_landing_key("hotel_guest/2024/10/03/LDG-167101_x.csv"))
    with pytest.raises(validation.ValidationDrift, match="GX counts 1 unexpected rows, the row mask 2"):
        validator.validate(Feed.HOTEL_GUEST, frame, params, "drift")


def test_data_docs_are_built_after_validation(tmp_path: Path) -> None:
    validator = validation.FeedValidator(tmp_path / "gx", EXPECTATIONS, build_data_docs=True)
    key = "stay_permit/2024/10/03/KANIM-PLG_20241003_0800.csv"
    frames = list(read_feed_file(Feed.STAY_PERMIT, SAMPLES / key, parse_landing_key(key), 100, FileReadState()))
    validator.validate(Feed.STAY_PERMIT, frames[0].frame, validation_parameters(parse_landing_key(key)), "docs-run")
    validator.flush_docs()  # published in the background, as the ingest's merge runs
    index = validator.data_docs_index
    pages = list(index.parent.rglob("*.html"))
    assert any("docs-run" in page.read_text(errors="ignore") for page in pages)  # the result's page
    validator.publish_docs_index()  # once per batch of files
    assert index.is_file()
    assert "docs-run" in index.read_text(errors="ignore")


def test_the_data_docs_index_is_built_once_per_batch_over_the_newest_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GX builds the index by reading every result it lists: rebuilt after each file over
    every result ever kept, a day of small lodging files made each file slower than the
    last (0.29 s to publish the first, 0.76 s the 150th). Each file now renders its own
    page; the index is rebuilt once per batch, over the newest results only."""
    monkeypatch.setattr(validation, "DOCS_INDEX_RESULTS", 2)
    validator = validation.FeedValidator(tmp_path / "gx", EXPECTATIONS, build_data_docs=True)
    key = "stay_permit/2024/10/03/KANIM-PLG_20241003_0800.csv"
    frames = list(read_feed_file(Feed.STAY_PERMIT, SAMPLES / key, parse_landing_key(key), 100, FileReadState()))
    parameters = validation_parameters(parse_landing_key(key))
    for run in ("batch-one", "batch-two"):
        validator.validate(Feed.STAY_PERMIT, frames[0].frame, parameters, run)
    validator.publish_docs_index()
    index = validator.data_docs_index
    assert "batch-one" in index.read_text() and "batch-two" in index.read_text()

    validator.validate(Feed.STAY_PERMIT, frames[0].frame, parameters, "batch-three")
    validator.flush_docs()
    pages = "".join(p.read_text(errors="ignore") for p in index.parent.rglob("*.html") if p != index)
    assert "batch-three" in pages  # its page is there as soon as the file is done
    assert "batch-three" not in index.read_text()  # the index waits for the batch's end

    validator.publish_docs_index()
    listed = index.read_text()
    assert "batch-three" in listed and "batch-two" in listed
    assert "batch-one" not in listed  # past the newest two


def _results(gx_dir: Path) -> dict[str, list[Path]]:
    """Each run's stored result files and Data Docs pages, by run name."""
    found: dict[str, list[Path]] = {}
    for path in (gx_dir / "gx" / "uncommitted").rglob("*"):
        if path.suffix in (".json", ".html") and path.parent.parent.parent.name == "stay_permit":
            found.setdefault(path.parent.parent.name, []).append(path)
    return found


def _validated_at(gx_dir: Path, run_name: str) -> datetime:
    """When GX stamped a run's result (its folder's name, UTC)."""
    (folder,) = (gx_dir / "gx" / "uncommitted" / "validations" / "stay_permit" / run_name).iterdir()
    return datetime.strptime(folder.name, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)


def test_results_older_than_their_retention_leave_the_store_with_their_pages(tmp_path: Path) -> None:
    """One result and one page (about 170 kB) per validated batch, kept forever, grow
    without bound: the index step removes those past their retention, and their folders."""
    gx_dir = tmp_path / "gx"
    validator = validation.FeedValidator(gx_dir, EXPECTATIONS, build_data_docs=True)
    key = "stay_permit/2024/10/03/KANIM-PLG_20241003_0800.csv"
    frames = list(read_feed_file(Feed.STAY_PERMIT, SAMPLES / key, parse_landing_key(key), 100, FileReadState()))
    parameters = validation_parameters(parse_landing_key(key))
    for run in ("batch-old", "batch-new"):
        validator.validate(Feed.STAY_PERMIT, frames[0].frame, parameters, run)
    assert validator.publish_docs_index(results_days=30) == 0  # both validated just now
    stored = _results(gx_dir)
    assert {run: sorted(p.suffix for p in paths) for run, paths in stored.items()} == {
        "batch-old": [".html", ".json"],
        "batch-new": [".html", ".json"],
    }

    # Thirty days after the newer one: the older one is past its retention, the newer not yet.
    newer = _validated_at(gx_dir, "batch-new")
    assert _validated_at(gx_dir, "batch-old") < newer
    assert validator.publish_docs_index(results_days=30, now=newer + timedelta(days=30)) == 1
    assert all(not path.exists() for path in stored["batch-old"])  # its result and its page
    assert all(path.exists() for path in stored["batch-new"])
    assert set(_results(gx_dir)) == {"batch-new"}
    index = validator.data_docs_index.read_text()
    assert "batch-new" in index and "batch-old" not in index
    # No empty folders left behind for the old run.
    assert not (gx_dir / "gx" / "uncommitted" / "validations" / "stay_permit" / "batch-old").exists()


def test_the_ingest_runs_index_step_applies_the_configured_retention(tmp_path: Path) -> None:
    """``TIMPORA_GX_RESULTS_DAYS`` reaches the ingest DAGs' last task: a result stored under
    a run of 2020 is removed, today's kept."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    from timpora.config import environment_overrides
    from timpora.ingest.pipeline import publish_docs_index

    with environment_overrides(gx_dir=str(tmp_path / "gx"), gx_results_days="400") as settings:
        assert settings.gx_results_days == 400
        validator = validation.validator_for(settings.gx_dir, settings.expectations_dir)
        key = "stay_permit/2024/10/03/KANIM-PLG_20241003_0800.csv"
        frames = list(read_feed_file(Feed.STAY_PERMIT, SAMPLES / key, parse_landing_key(key), 100, FileReadState()))
        validator.validate(Feed.STAY_PERMIT, frames[0].frame, validation_parameters(parse_landing_key(key)), "today")
        validator.flush_docs()
        # The same result, as if validated in 2020, put in the store with GX's own API.
        store = gx.get_context(mode="file", project_root_dir=str(settings.gx_dir)).validation_results_store
        (today,) = store.list_keys()
        assert isinstance(today, ValidationResultIdentifier)
        old = ValidationResultIdentifier(
            expectation_suite_identifier=today.expectation_suite_identifier,
            run_id=RunIdentifier(run_name="of-2020", run_time=datetime(2020, 3, 1, tzinfo=UTC)),
            batch_identifier=today.batch_identifier,
        )
        store.set(old, store.get(today))
        assert set(_results(settings.gx_dir)) == {"today", "of-2020"}
        publish_docs_index(settings)
        assert set(_results(settings.gx_dir)) == {"today"}


def _validate_in_another_process(gx_dir: str, run_name: str) -> int:
    """Runs in a child process: a validator of its own on the shared GX directory."""
    key = "stay_permit/2024/10/03/KANIM-PLG_20241003_0800.csv"
    frames = list(read_feed_file(Feed.STAY_PERMIT, SAMPLES / key, parse_landing_key(key), 100, FileReadState()))
    validator = validation.FeedValidator(Path(gx_dir), EXPECTATIONS, build_data_docs=True)
    outcome = validator.validate(
        Feed.STAY_PERMIT, frames[0].frame, validation_parameters(parse_landing_key(key)), run_name
    )
    validator.flush_docs()
    return outcome.evaluated


def test_concurrent_workers_share_one_data_docs_site(tmp_path: Path) -> None:
    """Several processes validating at once (Celery workers) must not corrupt the GX store."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        counts = pool.starmap(_validate_in_another_process, [(str(tmp_path), f"run-{i}") for i in range(8)])
    assert counts == [4] * 8
    pages = "".join(p.read_text(errors="ignore") for p in (tmp_path / "gx").rglob("*.html"))
    assert all(f"run-{i}" in pages for i in range(8))


def test_threads_sharing_one_validator_each_get_their_own_batchs_verdicts() -> None:
    """GX caches one execution engine per data source and loads each batch into it, so two
    threads running checkpoints on the same context read each other's batches (GX raised
    "Unalignable boolean Series" when two lodging files were merged at once). The
    process-wide validator must give every thread the verdicts of its own batch."""
    parameters = validation_parameters(parse_landing_key("hotel_guest/2024/10/03/LDG-167101_x.csv"))
    messy = _sample_frame(Feed.HOTEL_GUEST, MESSY[Feed.HOTEL_GUEST])
    clean = _sample_frame(Feed.HOTEL_GUEST, [guest_line(i) for i in range(100, 400)])
    validator = validation.validator_for(get_settings().gx_dir, EXPECTATIONS, build_data_docs=False)
    expected = {
        "messy": validator.validate(Feed.HOTEL_GUEST, messy, parameters, "alone-messy").failed.tolist(),
        "clean": validator.validate(Feed.HOTEL_GUEST, clean, parameters, "alone-clean").failed.tolist(),
    }
    assert any(expected["messy"]) and not any(expected["clean"])
    start = threading.Barrier(4)
    seen: list[tuple[str, list[bool]]] = []
    errors: list[BaseException] = []

    def work(name: str, frame: pd.DataFrame) -> None:
        try:
            start.wait()
            for round_ in range(4):
                outcome = validator.validate(Feed.HOTEL_GUEST, frame, parameters, f"{name}-{round_}")
                seen.append((name, outcome.failed.tolist()))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(name, frame))
        for name, frame in [("messy", messy), ("clean", clean), ("messy", messy), ("clean", clean)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(seen) == 16
    assert all(failed == expected[name] for name, failed in seen)


def test_a_batchs_validation_leaves_no_reference_cycles_behind() -> None:
    """A GX checkpoint leaves thousands of reference cycles (errors raised and caught while
    it builds metrics, with their tracebacks' frames) that kept a 100,000-row batch's
    intermediates alive until a full collection: an ingest worker's RSS grew by about
    200 MB a file. The validator collects them after each batch, and sets GX's own
    long-lived objects aside so that the collection is cheap."""
    import gc

    parameters = validation_parameters(parse_landing_key("hotel_guest/2024/10/03/LDG-167101_x.csv"))
    messy = _sample_frame(Feed.HOTEL_GUEST, MESSY[Feed.HOTEL_GUEST])
    validator = validation.validator_for(get_settings().gx_dir, EXPECTATIONS, build_data_docs=False)
    assert gc.get_freeze_count() > 0
    validator.validate(Feed.HOTEL_GUEST, messy, parameters, "cycles-warm")
    gc.collect()
    gc.disable()  # only the validator's own collection may clear what the checkpoint leaves
    try:
        outcome = validator.validate(Feed.HOTEL_GUEST, messy, parameters, "cycles")
        left = gc.collect()
    finally:
        gc.enable()
    assert outcome.failed.any()
    assert left < 50, f"{left} objects in reference cycles left behind by one batch's validation"
