"""Event triggers that turn landed objects into Airflow asset events, one watcher per feed.

**Production (S3/MinIO).** MinIO publishes each feed prefix's object-created
notifications to its own Redis list (``notify_redis`` target, ``access`` format: an
``RPUSH`` of ``[{"Event": [<S3 record>], "EventTime": ...}]``). :class:`LandingQueueTrigger`
consumes that list in Airflow's *ack mode* for shared streams: a message is moved to an
in-flight list when read (``BLMOVE``), and removed only after the triggerer has
confirmed that the asset event derived from it is stored in Airflow's database. A
message whose event was never confirmed (a crash, a timeout) goes back to the queue and
is delivered again; a message that is not a notification at all goes to a dead-letter
list. Messages that arrive while Airflow is down simply wait in Redis.

**Embedded (local folder).** :class:`LandingFolderTrigger` watches the landing folder
with the operating system's file notifications; on start it first reports files that
landed while it was not running (those the ledger has not seen).

Delivery is at least once in both modes; the ledger makes a second delivery a no-op.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Hashable, Sequence
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent
from airflow.triggers.shared_stream import AdvanceItem, SharedStreamProducer, reject_shared_stream_event

from timpora.landing.events import keys_from_payload

log = logging.getLogger(__name__)

KEYS_PER_EVENT = 500


class RedisQueueProducer(SharedStreamProducer):
    """Reads a Redis list as a reliable queue; acknowledges only persisted events."""

    def __init__(self, redis_url: str, queue: str, block_seconds: float) -> None:
        self.redis_url = redis_url
        self.queue = queue
        self.inflight = f"{queue}:inflight"
        self.dead = f"{queue}:dead"
        self.block_seconds = block_seconds
        self._client: Any = None

    async def _connect(self) -> Any:
        if self._client is None:
            import redis.asyncio as aioredis

            # The socket must outlive a blocking BLMOVE, or every idle poll ends in a timeout.
            self._client = aioredis.from_url(
                self.redis_url,
                socket_timeout=self.block_seconds + 30,
                socket_connect_timeout=10,
                health_check_interval=30,
            )
        return self._client

    async def open_stream(self) -> AsyncGenerator[tuple[Any, Any], None]:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        client = await self._connect()
        # Messages left in flight by an earlier poll were never confirmed: deliver them again.
        while await client.lmove(self.inflight, self.queue, "RIGHT", "LEFT") is not None:
            pass
        backoff = 1.0
        while True:
            try:
                raw = await client.blmove(self.queue, self.inflight, self.block_seconds, "LEFT", "RIGHT")
            except (RedisConnectionError, RedisTimeoutError) as exc:
                # Redis restarting is not the end of the stream: wait and read on.
                log.warning("landing queue %s unreachable (%s); retrying in %.0f s", self.queue, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if raw is not None:
                yield raw, raw

    async def advance(self, batch: Sequence[AdvanceItem]) -> None:
        client = await self._connect()
        for item in batch:
            outcome = item.outcome
            raw = item.broker_payload
            if outcome.rejected:
                await client.rpush(self.dead, raw)
            elif outcome.failed or not outcome.acked:
                # Not confirmed by anyone: put it back for another delivery.
                await client.rpush(self.queue, raw)
            await client.lrem(self.inflight, 1, raw)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class LandingQueueTrigger(BaseEventTrigger):
    """Object-created notifications of one feed, from MinIO's Redis list for that feed."""

    def __init__(self, redis_url: str, queue: str, feed: str, block_seconds: float = 5.0) -> None:
        super().__init__()
        self.redis_url = redis_url
        self.queue = queue
        self.feed = feed
        self.block_seconds = block_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"redis_url": self.redis_url, "queue": self.queue, "feed": self.feed, "block_seconds": self.block_seconds},
        )

    def shared_stream_key(self) -> Hashable | None:
        return ("timpora-landing-queue", self.redis_url, self.queue)

    @classmethod
    def create_shared_stream_producer(cls, kwargs: dict[str, Any]) -> SharedStreamProducer:
        return RedisQueueProducer(kwargs["redis_url"], kwargs["queue"], float(kwargs.get("block_seconds", 5.0)))

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        async for raw in shared_stream:
            event = notification_event(raw, self.feed)
            if event is None:
                reject_shared_stream_event()
            elif event.payload["keys"]:
                yield event
            # An event for other objects (a deletion, another prefix) resolves cleanly.

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Without a shared stream (never, in the triggerer): read the queue directly."""
        producer = RedisQueueProducer(self.redis_url, self.queue, self.block_seconds)
        try:
            async for raw, _ in producer.open_stream():
                event = notification_event(raw, self.feed)
                await (await producer._connect()).lrem(producer.inflight, 1, raw)
                if event is not None and event.payload["keys"]:
                    yield event
        finally:
            await producer.aclose()


def notification_event(raw: Any, feed: str) -> TriggerEvent | None:
    """A trigger event for the feed's keys in a notification; ``None`` if it is not one."""
    try:
        payload = json.loads(raw)
    except (TypeError, ValueError):
        log.warning("dead-lettering a landing message that is not JSON: %r", raw[:200])
        return None
    keys = [key for key in keys_from_payload(payload) if key.startswith(feed + "/")]
    return TriggerEvent({"feed": feed, "keys": keys, "payload": payload})


class LandingFolderTrigger(BaseEventTrigger):
    """New files under ``<root>/<feed>/`` in the embedded landing folder."""

    def __init__(self, root: str, feed: str) -> None:
        super().__init__()
        self.root = root
        self.feed = feed

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {"root": self.root, "feed": self.feed})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from watchfiles import Change, awatch

        folder = Path(self.root) / self.feed
        folder.mkdir(parents=True, exist_ok=True)
        try:
            missed = await asyncio.to_thread(unregistered_keys, Path(self.root), self.feed)
        except Exception:  # the sweep finds these later; the watch must still start
            log.exception("catch-up of %s files that landed while the triggerer was down failed", self.feed)
            missed = []
        for start in range(0, len(missed), KEYS_PER_EVENT):
            yield TriggerEvent({"feed": self.feed, "keys": missed[start : start + KEYS_PER_EVENT], "catch_up": True})
        async for changes in awatch(folder, recursive=True, step=200):
            keys = sorted(
                {
                    Path(path).relative_to(self.root).as_posix()
                    for change, path in changes
                    if change in (Change.added, Change.modified)
                    and Path(path).is_file()
                    and not Path(path).name.startswith(".")
                }
            )
            for start in range(0, len(keys), KEYS_PER_EVENT):
                yield TriggerEvent({"feed": self.feed, "keys": keys[start : start + KEYS_PER_EVENT]})


def unregistered_keys(root: Path, feed: str) -> list[str]:
    """Files under the feed's folder that the ledger has never seen (by key)."""
    from timpora.landing.store import FolderLandingStore
    from timpora.landing.sweep import keys_missing_from_ledger

    return keys_missing_from_ledger(FolderLandingStore(root), feed)
