"""Which landed files an ingest run takes: conf keys, triggering events, stray events, the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk.api.datamodels._generated import AssetResponse, DagRun, DagRunState, DagRunType
from airflow.sdk.execution_time.comms import AssetEventResult

from tests.test_triggers import minio_access_message
from timpora.orchestration.tasks import collect_keys, stray_landing_events

STARTED = datetime(2024, 10, 3, 5, 0, tzinfo=UTC)


def landing_event(event_id: int, extra: dict[str, Any]) -> AssetEventResult:
    """An asset event as the Task SDK hands it to a task."""
    return AssetEventResult(
        id=event_id,
        timestamp=STARTED,
        extra=extra,
        asset=AssetResponse(name="landing_hotel_guest", uri="timpora://landing/hotel_guest", group="asset"),
        created_dagruns=[],
    )


def ingest_run(run_type: DagRunType, started: datetime | None) -> DagRun:
    return DagRun(
        dag_id="ingest_hotel_guest",
        run_id="run",
        logical_date=None,
        data_interval_start=None,
        data_interval_end=None,
        run_after=STARTED - timedelta(seconds=2),
        start_date=started,
        end_date=None,
        run_type=run_type,
        state=DagRunState.RUNNING,
        consumed_asset_events=[],
        partition_key=None,
    )


def test_a_run_takes_the_files_of_events_its_trigger_missed(warehouse: str) -> None:
    announced = "hotel_guest/2024/10/03/LDG-167101_20241003T1200.csv"
    missed = "hotel_guest/2024/10/03/LDG-167102_20241003T1200.csv"
    triggering = {"landing_hotel_guest": [landing_event(1, {"payload": minio_access_message(announced).decode()})]}
    # The stray window holds the triggering event itself again and one event no run consumed;
    # an event of another feed's prefix is not this run's business.
    stray = [
        landing_event(1, {"payload": minio_access_message(announced).decode()}),
        landing_event(2, {"feed": "hotel_guest", "keys": [missed]}),
        landing_event(3, {"keys": ["visa/2024/10/03/IMI-EVISA_20241003_001.jsonl"]}),
    ]
    assert collect_keys("hotel_guest", {}, triggering, stray) == [announced, missed]
    assert collect_keys("hotel_guest", {}, triggering) == [announced]


@pytest.mark.parametrize(
    ("run_type", "started"),
    [(DagRunType.MANUAL, STARTED), (DagRunType.SCHEDULED, STARTED), (DagRunType.ASSET_TRIGGERED, None)],
)
def test_only_a_started_asset_triggered_run_looks_for_stray_events(run_type: DagRunType, started: datetime) -> None:
    # A manual or scheduled run names its files (conf, the ledger); nothing is read from Airflow.
    assert stray_landing_events(ingest_run(run_type, started), inlet_events=None, asset=None) == []
