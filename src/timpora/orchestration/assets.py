"""The Airflow assets the pipeline is scheduled on, and the watchers that feed them.

Each feed's landing prefix is an asset. Its watcher turns landed objects into asset
events without polling a schedule: MinIO's Redis notifications in production, the
operating system's file notifications on the embedded landing folder. Which one is
chosen by configuration; constructing a trigger opens no connection (the triggerer does
that when it runs it).
"""

from __future__ import annotations

from enum import StrEnum

from airflow.sdk import Asset, AssetWatcher

from timpora.config import get_settings
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


def landing_watchers(feed: Feed) -> list[AssetWatcher]:
    """The watcher of a feed's landing prefix for the configured landing zone."""
    from timpora.landing.triggers import LandingFolderTrigger, LandingQueueTrigger

    settings = get_settings()
    if settings.landing_backend == "s3":
        if not settings.event_queue_url:
            return []  # no notifications configured: the sweep alone finds new objects
        trigger = LandingQueueTrigger(settings.event_queue_url, queue_name(feed), feed.value)
        return [AssetWatcher(name=f"landing_{feed.value}_notifications", trigger=trigger)]
    folder_trigger = LandingFolderTrigger(str(settings.landing_dir), feed.value)
    return [AssetWatcher(name=f"landing_{feed.value}_folder", trigger=folder_trigger)]


def queue_name(feed: Feed) -> str:
    """The Redis list MinIO publishes a feed's notifications to."""
    return f"{get_settings().event_queue_name}:{feed.value}"


# One asset per feed's landing prefix: an object landing under it is an event of this asset.
LANDING_ASSETS: dict[Feed, Asset] = {
    feed: Asset(
        name=f"landing_{feed.value}",
        uri=f"x-timpora://landing/{feed.value}",
        group="landing",
        watchers=landing_watchers(feed),
    )
    for feed in Feed
}

# Emitted by every ingest that changed the warehouse; the reconcile DAG runs on it.
WAREHOUSE_ASSET = Asset(name="warehouse_feeds", uri="x-timpora://warehouse/feeds", group="warehouse")
