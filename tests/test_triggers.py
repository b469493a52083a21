"""The landing triggers against the machine's Redis and a real folder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis
from airflow.triggers.shared_stream import AdvanceItem, AdvanceOutcome

from tests.conftest import REDIS_URL, copy_samples
from timpora.landing.triggers import LandingFolderTrigger, LandingQueueTrigger, RedisQueueProducer


def minio_record(key: str, bucket: str = "landing", event: str = "s3:ObjectCreated:Put") -> dict[str, Any]:
    """One S3 event record exactly as MinIO writes it (object keys URL-encoded)."""
    from urllib.parse import quote_plus

    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": "2024-10-03T05:00:00.000Z",
        "eventName": event,
        "userIdentity": {"principalId": "timpora"},
        "requestParameters": {"principalId": "timpora", "region": "", "sourceIPAddress": "10.0.0.5"},
        "responseElements": {
            "x-amz-id-2": "dd9025",
            "x-amz-request-id": "17A",
            "x-minio-deployment-id": "abc",
            "x-minio-origin-endpoint": "http://minio:9000",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "timpora"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": quote_plus(key),
                "size": 1024,
                "eTag": "8a80554c91d9fca8acb82f023de02f11",
                "contentType": "text/csv",
                "userMetadata": {"content-type": "text/csv"},
                "sequencer": "17A4B2C1D0E9F8A7",
            },
        },
        "source": {"host": "10.0.0.5", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7.0.70"},
    }


def minio_access_message(key: str, **kwargs: str) -> bytes:
    """What MinIO's Redis target RPUSHes in the ``access`` format."""
    return json.dumps([{"Event": [minio_record(key, **kwargs)], "EventTime": "2024-10-03T05:00:00.000Z"}]).encode()


async def take(stream: AsyncIterator[Any], count: int, timeout: float = 10) -> list[Any]:
    return [await asyncio.wait_for(anext(stream), timeout) for _ in range(count)]


def test_queue_acknowledges_only_persisted_events(redis_queue: str) -> None:
    queue = f"{redis_queue}:hotel_guest"
    client = redis.Redis.from_url(REDIS_URL)
    persisted = minio_access_message("hotel_guest/2024/10/03/LDG-167101_a.csv")
    unconfirmed = minio_access_message("hotel_guest/2024/10/03/LDG-167101_b.csv")
    garbage = b"not a notification"
    client.rpush(queue, persisted, unconfirmed, garbage)

    async def scenario() -> None:
        producer = RedisQueueProducer(REDIS_URL, queue, 0.2)
        stream = producer.open_stream()
        received = await take(stream, 3)
        assert [raw for raw, _ in received] == [persisted, unconfirmed, garbage]
        assert client.llen(f"{queue}:inflight") == 3 and client.llen(queue) == 0
        await producer.advance(
            [
                AdvanceItem(persisted, AdvanceOutcome(acked=1, failed=0)),
                AdvanceItem(unconfirmed, AdvanceOutcome(acked=0, failed=1)),
                AdvanceItem(garbage, AdvanceOutcome(acked=0, failed=0, rejected=1)),
            ]
        )
        await stream.aclose()
        await producer.aclose()

    asyncio.run(scenario())
    assert client.llen(f"{queue}:inflight") == 0
    assert client.lrange(queue, 0, -1) == [unconfirmed]  # delivered again
    assert client.lrange(f"{queue}:dead", 0, -1) == [garbage]


def test_messages_in_flight_at_a_crash_are_delivered_again(redis_queue: str) -> None:
    queue = f"{redis_queue}:visa"
    client = redis.Redis.from_url(REDIS_URL)
    message = minio_access_message("visa/2024/10/03/evisa_1.jsonl")
    client.rpush(queue, message)

    async def read_once() -> bytes:
        producer = RedisQueueProducer(REDIS_URL, queue, 0.2)
        stream = producer.open_stream()
        ((raw, _),) = await take(stream, 1)
        await stream.aclose()  # the triggerer dies before the event is confirmed
        await producer.aclose()
        return bytes(raw)

    assert asyncio.run(read_once()) == message
    assert client.llen(f"{queue}:inflight") == 1
    assert asyncio.run(read_once()) == message  # the restarted trigger gets it again


def test_trigger_turns_minio_notifications_into_events_of_its_feed(redis_queue: str) -> None:
    trigger = LandingQueueTrigger(REDIS_URL, f"{redis_queue}:hotel_guest", "hotel_guest")
    raws = [
        minio_access_message("hotel_guest/2024/10/03/LDG-167101_x y.csv"),
        minio_access_message("visa/2024/10/03/evisa_1.jsonl"),
        minio_access_message("hotel_guest/2024/10/03/LDG-167101_z.csv", event="s3:ObjectRemoved:Delete"),
        b"{broken",
        json.dumps({"Records": [minio_record("hotel_guest/2024/10/03/LDG-167201_q.csv")]}).encode(),
    ]

    async def source() -> AsyncIterator[bytes]:
        for raw in raws:
            yield raw

    async def collect() -> list[Any]:
        return [event async for event in trigger.filter_shared_stream(source())]

    events = asyncio.run(collect())
    assert [event.payload["keys"] for event in events] == [
        ["hotel_guest/2024/10/03/LDG-167101_x y.csv"],
        ["hotel_guest/2024/10/03/LDG-167201_q.csv"],
    ]
    assert all(event.payload["feed"] == "hotel_guest" for event in events)
    classpath, kwargs = trigger.serialize()
    assert classpath == "timpora.landing.triggers.LandingQueueTrigger"
    assert LandingQueueTrigger(**kwargs).shared_stream_key() == trigger.shared_stream_key()


def test_folder_trigger_catches_up_then_watches(warehouse: str, landing: Path, tmp_path: Path) -> None:
    keys = copy_samples(tmp_path / "source")
    visa = next(k for k in keys if k.startswith("visa/"))
    (landing / visa).parent.mkdir(parents=True, exist_ok=True)
    (landing / visa).write_bytes((tmp_path / "source" / visa).read_bytes())  # landed while nobody watched

    async def scenario() -> list[Any]:
        trigger = LandingFolderTrigger(str(landing), "visa")
        stream = trigger.run()
        assert isinstance(stream, AsyncGenerator)  # so that it can be closed
        first = await asyncio.wait_for(anext(stream), 20)
        later = "visa/2024/10/04/evisa_2.jsonl"
        target = landing / later
        target.parent.mkdir(parents=True, exist_ok=True)

        async def land() -> None:
            await asyncio.sleep(0.5)
            temporary = target.with_name(".evisa_2.jsonl.part")
            temporary.write_bytes(b'{"visa_number": "V1"}\n')
            temporary.replace(target)

        writer = asyncio.create_task(land())
        second = await asyncio.wait_for(anext(stream), 20)
        await writer
        await stream.aclose()
        return [first, second]

    first, second = asyncio.run(scenario())
    assert first.payload == {"feed": "visa", "keys": [visa], "catch_up": True}
    assert second.payload["keys"] == ["visa/2024/10/04/evisa_2.jsonl"]


@pytest.mark.parametrize("feed", ["visa", "stay_permit", "hotel_guest"])
def test_folder_trigger_serialises_for_the_triggerer(feed: str) -> None:
    classpath, kwargs = LandingFolderTrigger("/data/landing", feed).serialize()
    assert classpath == "timpora.landing.triggers.LandingFolderTrigger" and kwargs == {
        "root": "/data/landing",
        "feed": feed,
    }
