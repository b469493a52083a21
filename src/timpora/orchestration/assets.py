"""The Airflow assets the pipeline is scheduled on."""

from __future__ import annotations

from enum import StrEnum

from airflow.sdk import Asset

from timpora.feeds.contracts import Feed


class Owner(StrEnum):
    """Teams that own DAGs (a DAG-policy test accepts only these)."""

    DATA_ENGINEERING = "timpora-data-engineering"


class Tag(StrEnum):
    """The tags DAGs may carry."""

    INGEST = "ingest"
    RECONCILE = "reconcile"
    LANDING = "landing"
    TIMPORA = "timpora"


# One asset per feed's landing prefix: an object landing under it is an event of this asset.
LANDING_ASSETS: dict[Feed, Asset] = {
    feed: Asset(name=f"landing_{feed.value}", uri=f"x-timpora://landing/{feed.value}", group="landing") for feed in Feed
}

# Emitted by every ingest that changed the warehouse; the reconcile DAG runs on it.
WAREHOUSE_ASSET = Asset(name="warehouse_feeds", uri="x-timpora://warehouse/feeds", group="warehouse")
